using DiffPrune.Models.Vlm;
using DiffPrune.Pruning.Throttlers;
using DiffPrune.Tensors;

namespace DiffPrune.Pruning;

/// <summary>
/// DiffPrune's training-time path from visual tokens to the frozen VLM's input (paper §4):
/// logits s = S_θ(X) (rescaled per image by the <see cref="LogitScale"/>), standardise, throttle T(X; α) with α = Soft Top-K(s), restore, denoise D_φ, then the frozen
/// projector. Only the scorer and the denoiser hold trainable weights; the VLM is never updated.
/// </summary>
public sealed class PrunerPipeline(LlavaModel vlm, TokenScorer scorer, Denoiser denoiser, IThrottler throttler, TokenStandardizer standardizer, LogitScale logitScale = LogitScale.Raw)
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
        var tokens = denoiser.Forward(standardizer.Restore(throttled.Tokens));
        var loss = _inference.AnswerLoss(VisualTokens.Of(tokens), null, textIds, AnswerTargets.Masks(textIds, answerStart)).Loss;
        return (loss, AlphaStats.Of(throttled.Alpha, k, logits));
    }
}
