using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning.Throttlers;
using DiffPrune.Tensors;

namespace DiffPrune.Pruning;

/// <summary>
/// DiffPrune's training-time path from visual tokens to the frozen VLM's input (paper §4):
/// logits s = S_θ(X) (rescaled per image by the <see cref="LogitScale"/>), standardise, throttle T(X; α) with α = Soft Top-K(s), restore, denoise D_φ, then the frozen
/// VLM's answer loss (<see cref="IAnswerLoss"/>: LLaVA's projector and LM, or Qwen2.5-VL's LM directly, its merged tokens
/// being already in the LM's space). Only the scorer and the denoiser hold trainable weights; the VLM is never updated.
/// </summary>
/// <remarks>
/// With <c>candidates</c> M between K and N, only each image's M highest-scoring throttled tokens reach the VLM (at their
/// original positions) and the rest are left out, as hard top-K leaves them out at deployment. The paper (M = N) replaces
/// them with pure noise instead, and a small frozen LM can read 136 noise tokens as context it was trained with: on the
/// dense benchmark at K = 8 the caption loss with α exactly binary is 0.37 with the noise tokens present and 0.84 with
/// them removed, so the training input rewards a selection that deployment does not.
/// The denoiser, removed at deployment, is a second such gap: trained freely it also reshapes the tokens it keeps, an
/// adapter in front of the frozen LM that deployment lacks (K = 16 on dense scenes: hard top-K 0.068 without it, 0.021
/// with it). <c>gatedDenoiser</c> scales its correction of each token by 1 − α.
/// </remarks>
public sealed class PrunerPipeline(IAnswerLoss vlm, TokenScorer scorer, Denoiser denoiser, IThrottler throttler, TokenStandardizer standardizer, LogitScale logitScale = LogitScale.Raw,
    int candidates = 0, bool gatedDenoiser = false)
{
    /// <summary>The pipeline in front of a LLaVA model (its answer loss: <see cref="VlmInference.AnswerLoss(VisualTokens, IPruningHooks, int[][], bool[][], int[][])"/>).</summary>
    public PrunerPipeline(LlavaModel vlm, TokenScorer scorer, Denoiser denoiser, IThrottler throttler, TokenStandardizer standardizer, LogitScale logitScale = LogitScale.Raw,
        int candidates = 0, bool gatedDenoiser = false)
        : this(new VlmInference(vlm), scorer, denoiser, throttler, standardizer, logitScale, candidates, gatedDenoiser)
    {
    }

    /// <summary>The scorer.</summary>
    public TokenScorer Scorer => scorer;

    /// <summary>The denoiser.</summary>
    public Denoiser Denoiser => denoiser;

    /// <summary>Caption (answer) NLL of the frozen VLM on throttled tokens, and the α statistics of the batch.</summary>
    /// <param name="features">Vision features (B, N, d_v) from the frozen tower (no gradient needed).</param>
    /// <param name="textIds">Per sample, <c>&lt;bos&gt; &lt;image&gt; prompt answer &lt;eos&gt;</c>.</param>
    /// <param name="answerStart">Per sample, the index in textIds of the first answer token.</param>
    /// <param name="k">Budget.</param>
    /// <param name="tau">Temperature.</param>
    /// <param name="noise">Noise for the throttler (fixed per step).</param>
    /// <param name="grids">On Qwen2.5-VL, each image's merged grid (<see cref="VisualTokens.Grids"/>); null on LLaVA.</param>
    public (Tensor Loss, AlphaStats Alpha) Loss(Tensor features, int[][] textIds, int[] answerStart, int k, double tau, BatchNoise noise,
        IReadOnlyList<Qwen25PatchGrid>? grids = null)
    {
        var logits = scorer.Forward(features);
        var throttled = throttler.Apply(standardizer.Standardize(features), logitScale.Apply(logits), k, tau, noise);
        var index = CandidateIndex(logits, k);
        var restored = standardizer.Restore(Pick(throttled.Tokens, index));
        var tokens = denoiser.Forward(restored);
        // a gated denoiser corrects each token by its noise share 1 − α: a kept token (α = 1) reaches the VLM as it does at deployment
        if (gatedDenoiser) tokens = restored + (tokens - restored) * (-Pick(throttled.Alpha.Unsqueeze(-1), index) + 1f);
        var visual = (index == null ? VisualTokens.Of(tokens) : new VisualTokens(tokens, index, null)) with { Grids = grids };
        var loss = vlm.AnswerLoss(visual, textIds, AnswerTargets.Masks(textIds, answerStart)).Loss;
        return (loss, AlphaStats.Of(throttled.Alpha, k, logits));
    }

    /// <summary>
    /// <see cref="Loss(Tensor, int[][], int[], int, double, BatchNoise, IReadOnlyList{Qwen25PatchGrid})"/> of a padded batch of images with different numbers of
    /// visual tokens and budgets (issue 21: native resolution, K_i = round(rate × N_i)): row i of <paramref name="features"/>
    /// holds <paramref name="budget"/>.Lengths[i] real tokens first and keeps Keep[i] of them. Scorer and denoiser mask the
    /// padded keys, Soft Top-K and the throttler work on each image's own tokens, and only the real tokens reach the VLM, at
    /// their patch index (<paramref name="spans"/> say where each image's positions end, as in <see cref="VisualTokens.Spans"/>;
    /// on Qwen2.5-VL, <paramref name="grids"/> give each image's merged grid, whose M-RoPE ids its tokens keep, as in <see cref="VisualTokens.Grids"/>).
    /// Each image's loss terms and gradients are those it gets alone, given the same noise at its slots (a
    /// <see cref="BatchNoise"/> with the batch's slots: <see cref="BatchNoise.Slots"/>).
    /// </summary>
    /// <exception cref="ArgumentException">A budget that does not fit the features (named).</exception>
    public (Tensor Loss, AlphaStats Alpha) Loss(Tensor features, RaggedBudget budget, int[][] textIds, int[] answerStart, double tau, BatchNoise noise,
        IReadOnlyList<VisualSpan>? spans = null, IReadOnlyList<Qwen25PatchGrid>? grids = null)
    {
        if (features.Rank != 3) throw new ArgumentException($"pruner training needs features (B, N_max, d_v); got {features.Describe()}", nameof(features));
        budget.Check(features.Shape[0], features.Shape[1]);
        return Loss(new VisualTokens(features, budget.AllTokens(), null) { Spans = spans, Grids = grids }, budget, textIds, answerStart, tau, noise);
    }

    /// <summary>The loss of a padded batch as above, of <paramref name="tokens"/> that carry their own positions (a LLaVA-NeXT
    /// image's tokens sit between its newlines: <see cref="VisualTokens.PatchIndex"/> and <see cref="VisualTokens.Spans"/>).</summary>
    /// <exception cref="ArgumentException">A budget that does not fit the tokens (named).</exception>
    public (Tensor Loss, AlphaStats Alpha) Loss(VisualTokens tokens, RaggedBudget budget, int[][] textIds, int[] answerStart, double tau, BatchNoise noise)
    {
        var features = tokens.Features;
        budget.Check(features.Shape[0], features.Shape[1]);
        if (!tokens.PatchIndex.Select(p => p.Length).SequenceEqual(budget.Lengths))
            throw new ArgumentException($"the budget's token counts ({string.Join(", ", budget.Lengths)}) are not the images' ({string.Join(", ", tokens.PatchIndex.Select(p => p.Length))})", nameof(budget));
        var lengths = budget.Lengths;
        var logits = scorer.Forward(features, lengths);
        var throttled = throttler.Apply(standardizer.Standardize(features), logitScale.Apply(logits, lengths), budget, tau, noise);
        var all = tokens with { Features = standardizer.Restore(throttled.Tokens), Vision = null };
        var candidates = CandidateIndex(logits, budget);
        var restored = candidates == null ? all : all.Select(candidates);
        var counts = restored.PatchIndex.Select(p => p.Length).ToArray();
        var denoised = denoiser.Forward(restored.Features, counts);
        if (gatedDenoiser)
        {
            var alpha = all with { Features = throttled.Alpha.Unsqueeze(-1) };
            var kept = candidates == null ? alpha : alpha.Select(candidates);
            denoised = restored.Features + (denoised - restored.Features) * (-kept.Features + 1f);
        }
        var loss = vlm.AnswerLoss(restored with { Features = denoised }, textIds, AnswerTargets.Masks(textIds, answerStart)).Loss;
        return (loss, AlphaStats.Of(throttled.Alpha, budget, logits));
    }

    /// <summary>Per image of a padded batch, its min(M, N_i) highest-scoring tokens in original order; null when all enter the VLM.</summary>
    int[][]? CandidateIndex(Tensor logits, RaggedBudget budget)
    {
        if (candidates <= 0 || budget.Lengths.All(n => candidates >= n)) return null;
        if (budget.Keep.Max() > candidates)
            throw new ArgumentOutOfRangeException(nameof(budget), $"{candidates} candidate tokens cannot hold K = {budget.Keep.Max()}: give at least the largest K candidates (0: all N)");
        return HardTopK.Indices(logits, budget with { Keep = budget.Lengths.Select(n => Math.Min(candidates, n)).ToArray() });
    }

    /// <summary>Kept tokens (B, K, d_v), as the training path would pass them whole (α = 1) to the projector: through the
    /// denoiser, or unchanged when it is gated.</summary>
    public Tensor DenoiseKept(Tensor kept) => gatedDenoiser ? kept : denoiser.Forward(kept);

    /// <summary>Per image, the M highest-scoring tokens in original order; null when all N enter the VLM.</summary>
    int[][]? CandidateIndex(Tensor logits, int k)
    {
        if (candidates <= 0 || candidates >= logits.Shape[1]) return null;
        if (candidates < k) throw new ArgumentOutOfRangeException(nameof(k), $"{candidates} candidate tokens cannot hold K = {k}: give at least K candidates (0: all N)");
        return HardTopK.Indices(logits, candidates);
    }

    /// <summary>Rows <paramref name="index"/> of each image of <paramref name="x"/> (B, N, c), differentiably; x itself for null.</summary>
    static Tensor Pick(Tensor x, int[][]? index)
    {
        if (index == null) return x;
        int b = x.Shape[0], n = x.Shape[1], c = x.Shape[2];
        var rows = index.SelectMany((row, i) => row.Select(j => i * n + j)).ToArray();
        return x.Reshape(b * n, c).IndexSelect(0, rows).Reshape(b, index[0].Length, c);
    }
}
