using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;

namespace DiffPrune.Pruning.Baselines;

/// <summary>
/// DivPrune (Alvar et al., CVPR 2025), before the LLM: keeps the most diverse K tokens by max–min diversity on the
/// cosine distance d(i, j) = 1 − cos(x_i, x_j) of the projected tokens. The first token is the one whose nearest
/// neighbour is farthest; then each step adds argmax_j min_{s ∈ S} d(s, j) over the tokens not yet kept.
/// </summary>
/// <remarks>
/// Departures from the reference code: a kept token is never picked again (the original's argmax can return a kept
/// token when every remaining one is at distance 0, keeping duplicates), ties go to the lower index. The projection
/// of all N tokens is part of the decision here: the original prunes after the projector, where it is already paid.
/// </remarks>
public sealed class DivPrunePruner : PreLlmPruner
{
    readonly LlavaProjector? _projector;

    /// <summary>
    /// A pruner keeping <paramref name="keep"/> tokens, measuring diversity after <paramref name="projector"/>, or on the
    /// tokens as they come when null (Qwen2.5-VL's merger already maps them into the LLM's space).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">K &lt; 1.</exception>
    public DivPrunePruner(int keep, LlavaProjector? projector) : base("DivPrune", keep) => _projector = projector;

    /// <inheritdoc/>
    public override VisualTokens Prune(VisualTokens tokens)
    {
        TokenBudget.Check(Keep, tokens.Count, nameof(tokens));
        using var _ = Autograd.NoGrad();
        var projected = _projector?.Forward(tokens.Features) ?? tokens.Features;
        return tokens.Select(Enumerable.Range(0, projected.Shape[0]).Select(b => Select(TokenGeometry.Sample(projected, b), Keep)).ToArray());
    }

    /// <summary>The max–min diverse <paramref name="keep"/> of the rows of <paramref name="features"/> (N, d), in the order picked.</summary>
    /// <exception cref="ArgumentOutOfRangeException">K outside 1..N.</exception>
    public static int[] Select(Tensor features, int keep)
    {
        int n = features.Shape[0];
        TokenBudget.Check(keep, n, nameof(keep));
        var cos = TokenGeometry.Cosine(features).ToArray();
        double Distance(int i, int j) => 1.0 - cos[i * n + j];

        // min distance from the kept set to each token; starts as each token's nearest-neighbour distance
        var nearest = new double[n];
        for (int j = 0; j < n; j++)
        {
            nearest[j] = double.PositiveInfinity;
            for (int i = 0; i < n; i++) if (i != j) nearest[j] = Math.Min(nearest[j], Distance(i, j));
        }
        var picked = new List<int>(keep);
        var taken = new bool[n];
        for (int step = 0; step < keep; step++)
        {
            int next = Ranking.Top(1, Enumerable.Range(0, n).Where(j => !taken[j]), j => nearest[j])[0];
            picked.Add(next);
            taken[next] = true;
            for (int j = 0; j < n; j++) nearest[j] = step == 0 ? Distance(next, j) : Math.Min(nearest[j], Distance(next, j));
        }
        return picked.ToArray();
    }
}
