using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;

namespace DiffPrune.Pruning.Baselines;

/// <summary>
/// VisionZip (Yang et al., CVPR 2025), before the LLM: K = D dominant + C contextual tokens. Dominant: the D tokens
/// with the largest CLS → patch attention of the feature layer (summed over heads). Contextual: the remaining tokens'
/// keys of that layer (mean over heads) are L2-normalised, C of them taken as targets at a fixed stride
/// (every ⌊R/C⌋-th of the R remaining, in order) and every other remaining token is merged (mean) into the target
/// whose key is most similar; a merged token stands for its target's patch. C = round(10·K/64): the published
/// 54 + 10 at K = 64 (108 + 20 at 128, 162 + 30 at 192).
/// </summary>
/// <remarks>
/// Departure: the original keeps CLS as one of its dominant tokens; LLaVA (and this VLM) drops CLS from the visual
/// tokens, so all D dominant tokens here are patches and the output has exactly K tokens.
/// </remarks>
public sealed class VisionZipPruner : PreLlmPruner
{
    readonly ClipVisionTransformer _tower;

    /// <summary>A pruner keeping <paramref name="keep"/> tokens, reading the keys of <paramref name="tower"/>'s feature layer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">K &lt; 1.</exception>
    public VisionZipPruner(int keep, ClipVisionTransformer tower) : base("VisionZip", keep) => _tower = tower;

    /// <inheritdoc/>
    public override bool NeedsVisionAttentions => true;

    /// <summary>Contextual (merged) tokens C = round(10·K/64).</summary>
    public int Contextual => (int)Math.Round(Keep * 10 / 64.0, MidpointRounding.AwayFromZero);

    /// <summary>Dominant tokens D = K − C.</summary>
    public int Dominant => Keep - Contextual;

    /// <inheritdoc/>
    public override VisualTokens Prune(VisualTokens tokens)
    {
        TokenBudget.Check(Keep, tokens.Count, nameof(tokens));
        using var _ = Autograd.NoGrad();
        var zipped = Enumerable.Range(0, tokens.Features.Shape[0])
            .Select(b => Zip(VisionCues.ClsAttention(tokens, b, Name), VisionCues.MeanHeadKeys(_tower, tokens, b, Name), Dominant, Contextual))
            .ToArray();
        return tokens.Merge(new TokenDropDecision(zipped.Select(z => z.Keep).ToArray(), zipped.Select(z => z.MergeInto).ToArray()));
    }

    /// <summary>
    /// One image's decision from its CLS attention (N) and merge keys (N, d): the kept tokens (ascending: dominant and
    /// targets) and, per token, the slot in Keep it is merged into (−1: kept itself, or dropped when C = 0).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">D + C outside 1..N.</exception>
    public static (int[] Keep, int[] MergeInto) Zip(float[] clsAttention, Tensor keys, int dominant, int contextual)
    {
        int n = clsAttention.Length;
        TokenBudget.Check(dominant + contextual, n, nameof(dominant));
        var dominantSet = Ranking.Top(dominant, Enumerable.Range(0, n), j => clsAttention[j]).ToHashSet();
        var remaining = Enumerable.Range(0, n).Where(j => !dominantSet.Contains(j)).ToArray();
        int step = contextual == 0 ? 1 : Math.Max(1, remaining.Length / contextual);
        var targets = Enumerable.Range(0, contextual).Select(c => remaining[c * step]).ToArray();
        var keep = dominantSet.Concat(targets).Order().ToArray();
        var mergeInto = Enumerable.Repeat(-1, n).ToArray();
        var others = remaining.Except(targets).ToArray();
        if (contextual == 0 || others.Length == 0) return (keep, mergeInto);

        var sim = TokenGeometry.Cosine(keys.IndexSelect(0, others), keys.IndexSelect(0, targets)).Data; // (others, C)
        for (int o = 0; o < others.Length; o++)
        {
            int best = 0;
            for (int c = 1; c < contextual; c++) if (sim[o * contextual + c] > sim[o * contextual + best]) best = c;
            mergeInto[others[o]] = Array.BinarySearch(keep, targets[best]);
        }
        return (keep, mergeInto);
    }
}
