using DiffPrune.Models.Vlm;
using DiffPrune.Pruning.Throttlers;
using DiffPrune.Tensors;

namespace DiffPrune.Pruning;

/// <summary>
/// DiffPrune's training-time path from visual tokens to the frozen VLM's input (paper §4):
/// logits s = S_θ(X) (rescaled per image by the <see cref="LogitScale"/>), standardise, throttle T(X; α) with α = Soft Top-K(s), restore, denoise D_φ, then the frozen
/// projector. Only the scorer and the denoiser hold trainable weights; the VLM is never updated.
/// </summary>
/// <remarks>
/// With <c>candidates</c> M between K and N, only each image's M highest-scoring throttled tokens reach the VLM (at their
/// original positions) and the rest are left out, as hard top-K leaves them out at deployment. The paper (M = N) replaces
/// them with pure noise instead, and a small frozen LM can read 136 noise tokens as context it was trained with: on the
/// dense benchmark at K = 8 the caption loss with α exactly binary is 0.37 with the noise tokens present and 0.84 with
/// them removed, so the training input rewards a selection that deployment does not.
/// </remarks>
public sealed class PrunerPipeline(LlavaModel vlm, TokenScorer scorer, Denoiser denoiser, IThrottler throttler, TokenStandardizer standardizer, LogitScale logitScale = LogitScale.Raw,
    int candidates = 0)
{
    readonly VlmInference _inference = new(vlm);

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
    public (Tensor Loss, AlphaStats Alpha) Loss(Tensor features, int[][] textIds, int[] answerStart, int k, double tau, BatchNoise noise)
    {
        var logits = scorer.Forward(features);
        var throttled = throttler.Apply(standardizer.Standardize(features), logitScale.Apply(logits), k, tau, noise);
        var kept = Candidates(throttled.Tokens, logits, k);
        var tokens = denoiser.Forward(standardizer.Restore(kept.Features));
        var loss = _inference.AnswerLoss(kept with { Features = tokens }, null, textIds, AnswerTargets.Masks(textIds, answerStart)).Loss;
        return (loss, AlphaStats.Of(throttled.Alpha, k, logits));
    }

    /// <summary>The throttled tokens (B, N, d) that enter the VLM: all of them, or each image's M highest-scoring in original order.</summary>
    VisualTokens Candidates(Tensor throttled, Tensor logits, int k)
    {
        int b = throttled.Shape[0], n = throttled.Shape[1], d = throttled.Shape[2];
        if (candidates <= 0 || candidates >= n) return VisualTokens.Of(throttled);
        if (candidates < k) throw new ArgumentOutOfRangeException(nameof(k), $"{candidates} candidate tokens cannot hold K = {k}: give at least K candidates (0: all N)");
        var index = HardTopK.Indices(logits, candidates);
        var rows = index.SelectMany((row, i) => row.Select(j => i * n + j)).ToArray();
        return new VisualTokens(throttled.Reshape(b * n, d).IndexSelect(0, rows).Reshape(b, candidates, d), index, null);
    }
}
