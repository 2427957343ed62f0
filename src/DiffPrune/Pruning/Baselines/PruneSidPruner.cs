using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;

namespace DiffPrune.Pruning.Baselines;

/// <summary>
/// PruneSID (ICLR 2026), before the LLM: groups the tokens by principal semantic components, removes near-duplicates
/// inside each group and spends the budget where distinct content survives.
/// 1. Groups: the sigmoid of the feature-layer tokens, each centred over its channels, has G = ⌊K/4⌋ leading
///    principal directions over the tokens; token j joins the direction c with the largest |V[j, c]|.
/// 2. Per group, non-maximum suppression by CLS → patch attention (summed over heads): the best remaining token
///    survives and suppresses the group's tokens whose feature cosine similarity to it exceeds τ = (K/32)·s̄, s̄ the
///    mean similarity over all token pairs.
/// 3. Budgets: every non-empty group gets 1; the other K − #groups are split by each group's share of the survivors
///    (cumulative, rounded half to even), capped at min(5·⌈K/64⌉, size, survivors) — a cap raised for all groups
///    until the caps hold K — and any shortfall filled to the caps in order of survivor count.
/// 4. Each group keeps its survivors in the order they survived, then its suppressed tokens by attention.
/// </summary>
/// <remarks>
/// Departures from the reference code: no CLS token is kept (LLaVA drops it; the original spends one of the K on it);
/// the principal directions come from deterministic subspace iteration instead of torch.pca_lowrank's randomized
/// estimate (niter = 2); suppression picks by order alone (the original stops at tokens of attention 0); ties go to
/// the lower index.
/// </remarks>
public sealed class PruneSidPruner : PreLlmPruner
{
    /// <summary>A pruner keeping <paramref name="keep"/> tokens.</summary>
    /// <exception cref="ArgumentOutOfRangeException">K &lt; 1.</exception>
    public PruneSidPruner(int keep) : base("PruneSID", keep) { }

    /// <inheritdoc/>
    public override bool NeedsVisionAttentions => true;

    /// <inheritdoc/>
    public override VisualTokens Prune(VisualTokens tokens)
    {
        TokenBudget.Check(Keep, tokens.Count, nameof(tokens));
        using var _ = Autograd.NoGrad();
        return tokens.Select(Enumerable.Range(0, tokens.Features.Shape[0])
            .Select(b => Select(TokenGeometry.Sample(tokens.Features, b), VisionCues.ClsAttention(tokens, b, Name), Keep))
            .ToArray());
    }

    /// <summary>The kept tokens (ascending) of one image from its feature-layer tokens (N, d) and CLS attention (N).</summary>
    /// <exception cref="ArgumentOutOfRangeException">K outside 1..N.</exception>
    public static int[] Select(Tensor features, float[] attention, int keep)
    {
        int n = features.Shape[0];
        TokenBudget.Check(keep, n, nameof(keep));
        var groups = Groups(features, Math.Clamp(keep / 4, 1, Math.Min(n, features.Shape[1])));
        var similarity = TokenGeometry.Cosine(features);
        double threshold = keep / 32.0 * MeanPairSimilarity(similarity);
        var survivors = groups.Select(g => Survivors(g, attention, similarity, threshold)).ToArray();
        var budgets = Budgets(groups.Select(g => g.Length).ToArray(), survivors.Select(s => s.Length).ToArray(), keep);
        return groups.SelectMany((g, i) =>
        {
            var rest = Ranking.Descending(g.Except(survivors[i]), j => attention[j]);
            return survivors[i].Concat(rest).Take(budgets[i]);
        }).Order().ToArray();
    }

    /// <summary>
    /// The members of each of the <paramref name="count"/> groups: token j joins the principal direction with the
    /// largest |V[j, c]| among the leading directions of the centred sigmoid features (groups may be empty).
    /// </summary>
    public static int[][] Groups(Tensor features, int count)
    {
        int n = features.Shape[0], d = features.Shape[1];
        var centred = features.Sigmoid().Detach().Clone();
        for (int j = 0; j < n; j++)
        {
            var row = centred.Data.Slice(j * d, d);
            float mean = System.Numerics.Tensors.TensorPrimitives.Sum(row) / d;
            System.Numerics.Tensors.TensorPrimitives.Subtract(row, mean, row);
        }
        var directions = PrincipalDirections.Leading(centred.Matmul(centred, transB: true), count); // token Gram (N, N)
        var owner = Enumerable.Range(0, n).Select(j => Ranking.Top(1, Enumerable.Range(0, count), c => Math.Abs(directions[j, c]))[0]).ToArray();
        return Enumerable.Range(0, count).Select(c => Enumerable.Range(0, n).Where(j => owner[j] == c).ToArray()).ToArray();
    }

    /// <summary>Greedy non-maximum suppression inside a group: the survivors in the order they were picked.</summary>
    public static int[] Survivors(int[] group, float[] attention, Tensor similarity, double threshold)
    {
        int n = similarity.Shape[0];
        var remaining = Ranking.Descending(group, j => attention[j]).ToList();
        var survivors = new List<int>();
        while (remaining.Count > 0)
        {
            int best = remaining[0];
            survivors.Add(best);
            remaining.RemoveAll(j => j == best || similarity.Data[best * n + j] > threshold);
        }
        return survivors.ToArray();
    }

    /// <summary>Tokens per group for budget K from the group sizes and survivor counts (step 3 of the class summary).</summary>
    public static int[] Budgets(int[] sizes, int[] survivors, int keep)
    {
        int g = sizes.Length;
        var lower = sizes.Select(s => Math.Min(1, s)).ToArray();
        var upper = sizes.Select((s, i) => Math.Min(Math.Min(5 * ((keep + 63) / 64), s), survivors[i])).ToArray();
        while (upper.Sum() < keep)
            for (int i = 0; i < g; i++) upper[i] = Math.Min(upper[i] + 1, sizes[i]);

        int others = Math.Max(0, keep - lower.Sum());
        double total = survivors.Sum(), cumulative = 0;
        int previous = 0;
        var budgets = new int[g];
        for (int i = 0; i < g; i++)
        {
            cumulative += survivors[i] / total;
            int upTo = (int)Math.Round(cumulative * others, MidpointRounding.ToEven);
            budgets[i] = Math.Min(upTo - previous + lower[i], upper[i]);
            previous = upTo;
        }
        foreach (int i in Ranking.Descending(Enumerable.Range(0, g), i => survivors[i]))
        {
            int add = Math.Min(upper[i] - budgets[i], keep - budgets.Sum());
            budgets[i] += add;
        }
        return budgets;
    }

    static double MeanPairSimilarity(Tensor similarity)
    {
        int n = similarity.Shape[0];
        if (n < 2) return 0;
        double sum = 0;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) sum += similarity.Data[i * n + j];
        return sum / (n * (n - 1) / 2.0);
    }
}
