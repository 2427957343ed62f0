using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;

namespace DiffPrune.Pruning.Baselines;

/// <summary>
/// HoloV (Zou et al., NeurIPS 2025), before the LLM: spreads the budget over P = 16 contiguous groups of tokens (raster
/// order; the first N mod P groups one token larger) by how much each group holds, so that the kept tokens cover the
/// whole image. In group g, with a_i the CLS → patch attention (feature layer, mean over heads) and S the cosine
/// similarities of the projected tokens (self-similarity masked to 0), token i scores
/// 1000·a_i + α·c·v_i, where v_i is the variance of S's row i (over the n − 1 others, the masked self term included, as
/// in the reference code), c = mean|1000·a| / mean|v| puts both on one scale and α = 0.09. The group score is the mean
/// token score; group g gets ⌊K·w_g⌋ tokens, w_g = score_g / Σ score, and the remainder goes one each to the groups of
/// largest w. Each group keeps its tokens with the largest attention. (Because c rescales the variance to the group's
/// own mean attention, a group's score is (1 + α)·1000·mean a up to the 10⁻⁶ guard: the budget follows attention mass.)
/// </summary>
/// <remarks>
/// Departures from the reference code: a group allotted more tokens than it has passes the surplus on to the groups
/// with room, largest w first (the original loses it and pads the output with zero vectors); a one-token group scores
/// 1000·a like the others (the original leaves its attention unscaled); ties go to the lower index. The projection of
/// all N tokens is part of the decision (the original works after the projector). On a tower without a CLS token
/// (Qwen2.5-VL), a_i is the attention token i's patches receive in the last block, averaged over heads, queries and its
/// merge unit (<see cref="VisionCues.MeanAttention"/>), and S is measured on the merged tokens, already in the LLM's space.
/// </remarks>
public sealed class HoloVPruner : PreLlmPruner
{
    /// <summary>Groups of the published setting.</summary>
    public const int DefaultGroups = 16;
    /// <summary>Weight of the similarity variance in a token's score (α).</summary>
    public const double Alpha = 0.09;
    const double AttentionScale = 1e3, Eps = 1e-6;

    readonly LlavaProjector? _projector;

    /// <summary>A pruner keeping <paramref name="keep"/> tokens over <paramref name="groups"/> groups, measuring similarity after
    /// <paramref name="projector"/> (null: on the tokens as they are, for towers whose output is already in the LLM's space).</summary>
    /// <exception cref="ArgumentOutOfRangeException">K or the group count &lt; 1.</exception>
    public HoloVPruner(int keep, LlavaProjector? projector, int groups = DefaultGroups) : base("HoloV", keep)
    {
        if (groups < 1) throw new ArgumentOutOfRangeException(nameof(groups), $"HoloV needs at least one group (got {groups})");
        Groups = groups;
        _projector = projector;
    }

    /// <summary>Groups P (fewer when N &lt; P: one token each).</summary>
    public int Groups { get; }

    /// <inheritdoc/>
    public override bool NeedsVisionAttentions => true;

    /// <inheritdoc/>
    public override VisualTokens Prune(VisualTokens tokens)
    {
        TokenBudget.Check(Keep, tokens.Count, nameof(tokens));
        using var _ = Autograd.NoGrad();
        var projected = _projector?.Forward(tokens.Features) ?? tokens.Features;
        var keep = Enumerable.Range(0, projected.Shape[0])
            .Select(b => Select(VisionCues.MeanAttention(tokens, b, Name), TokenGeometry.Sample(projected, b), Keep, Groups)).ToArray();
        return tokens.Select(keep);
    }

    /// <summary>The kept tokens (ascending) of one image from its CLS attention (N) and projected tokens (N, d).</summary>
    /// <exception cref="ArgumentOutOfRangeException">K outside 1..N.</exception>
    public static int[] Select(float[] attention, Tensor projected, int keep, int groups = DefaultGroups)
    {
        TokenBudget.Check(keep, attention.Length, nameof(keep));
        var members = GroupMembers(attention.Length, groups);
        var scores = members.Select(g => GroupScore(g, attention, projected)).ToArray();
        var budgets = Budgets(scores, members.Select(g => g.Length).ToArray(), keep);
        return members.SelectMany((g, i) => Ranking.Top(budgets[i], g, j => attention[j])).Order().ToArray();
    }

    /// <summary>The token indices of each of min(P, N) contiguous groups; the first N mod P groups hold one more.</summary>
    public static int[][] GroupMembers(int tokens, int groups)
    {
        int p = Math.Min(groups, tokens), size = tokens / p, extra = tokens % p, start = 0;
        var result = new int[p][];
        for (int g = 0; g < p; g++)
        {
            int n = size + (g < extra ? 1 : 0);
            result[g] = Enumerable.Range(start, n).ToArray();
            start += n;
        }
        return result;
    }

    /// <summary>A group's score: the mean over its tokens of 1000·a_i + α·c·v_i (see the class summary).</summary>
    public static double GroupScore(int[] group, float[] attention, Tensor projected)
    {
        var scaled = group.Select(j => AttentionScale * attention[j]).ToArray();
        int n = group.Length;
        if (n == 1) return scaled[0];
        var sim = TokenGeometry.Cosine(projected.IndexSelect(0, group)).Data;
        var variance = new double[n];
        for (int i = 0; i < n; i++)
        {
            double mean = 0;
            for (int j = 0; j < n; j++) if (j != i) mean += sim[i * n + j];
            mean /= n - 1;
            // the masked self-similarity (0) enters the variance, as in the reference code
            for (int j = 0; j < n; j++) variance[i] += Math.Pow((j == i ? 0 : sim[i * n + j]) - mean, 2);
            variance[i] /= n - 1;
        }
        double c = scaled.Average(Math.Abs) / (variance.Average(Math.Abs) + Eps);
        return Enumerable.Range(0, n).Average(i => scaled[i] + Alpha * c * variance[i]);
    }

    /// <summary>
    /// Tokens per group for budget K: ⌊K·w_g⌋ with w_g = score_g / (Σ score + 10⁻⁶), the remainder one each to the
    /// largest w (at most one per group); what a group cannot hold goes to the groups with room, largest w first.
    /// </summary>
    public static int[] Budgets(double[] scores, int[] sizes, int keep)
    {
        int p = scores.Length;
        double total = scores.Sum();
        var weights = scores.Select(s => s / (total + Eps)).ToArray();
        var budgets = weights.Select(w => (int)Math.Floor(w * keep)).ToArray();
        var byWeight = Ranking.Descending(Enumerable.Range(0, p), g => weights[g]);
        foreach (int g in byWeight.Take(keep - budgets.Sum())) budgets[g]++;
        // what no group can hold (or, with all scores 0, what nobody was given) goes where there is room
        for (int g = 0; g < p; g++) budgets[g] = Math.Min(budgets[g], sizes[g]);
        int missing = keep - budgets.Sum();
        foreach (int g in byWeight)
        {
            int add = Math.Min(missing, sizes[g] - budgets[g]);
            budgets[g] += add;
            missing -= add;
        }
        return budgets;
    }
}
