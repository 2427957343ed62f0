using DiffPrune.Tensors;

namespace DiffPrune.Pruning;

/// <summary>
/// How binary a soft selection is: the mean α of the K tokens hard top-K would keep, and the share of the budget
/// (Σα = K) that sits outside them. A fully hard selection has 1 and 0; the gap between the soft training input and
/// hard top-K at inference grows as these drift from it.
/// </summary>
/// <param name="MeanInsideTopK">Mean α over the top-K tokens (by α).</param>
/// <param name="MassOutsideTopK">Σα outside the top-K divided by K.</param>
/// <param name="LogitSpread">Mean per-image standard deviation of the scorer's raw logits (null where not measured): with
/// raw logits, α depends on logits/τ, so a spread that shrinks with τ undoes the annealing.</param>
/// <param name="EffectiveTokens">Mean per-image (Σα)²/Σα²: K for a hard selection, M when the budget is spread evenly over
/// M &gt; K near-tied tokens (null where not measured).</param>
public sealed record AlphaStats(double MeanInsideTopK, double MassOutsideTopK, double? LogitSpread = null, double? EffectiveTokens = null)
{
    /// <summary>Statistics of <paramref name="alpha"/> (B, N), averaged over the batch, with the spread of the raw <paramref name="logits"/> when given.</summary>
    public static AlphaStats Of(Tensor alpha, int k, Tensor? logits = null) =>
        Of(alpha, HardTopK.Indices(alpha, k), Enumerable.Repeat(alpha.Shape[1], alpha.Shape[0]).ToArray(), logits == null ? null : LogitScales.Spread(logits));

    /// <summary>Statistics of <paramref name="alpha"/> (B, N_max) of a padded batch, each image over its own N_i tokens and
    /// K_i (<paramref name="budget"/>), averaged over the batch, with the spread of the raw <paramref name="logits"/> when given.</summary>
    /// <exception cref="ArgumentException">A budget that does not fit α.</exception>
    public static AlphaStats Of(Tensor alpha, RaggedBudget budget, Tensor? logits = null) =>
        Of(alpha, HardTopK.Indices(alpha, budget), budget.Lengths, logits == null ? null : LogitScales.Spread(logits, budget.Lengths));

    static AlphaStats Of(Tensor alpha, int[][] idx, int[] lengths, double? spread)
    {
        int slots = alpha.Shape[1];
        double inside = 0, outside = 0, effective = 0;
        for (int r = 0; r < idx.Length; r++)
        {
            int k = idx[r].Length;
            var row = alpha.Data.Slice(r * slots, lengths[r]);
            double top = 0, all = 0, squares = 0;
            foreach (int i in idx[r]) top += row[i];
            foreach (float a in row) { all += a; squares += (double)a * a; }
            effective += all * all / squares;
            inside += top / k;
            outside += (all - top) / k;
        }
        return new AlphaStats(inside / idx.Length, outside / idx.Length, spread, effective / idx.Length);
    }
}
