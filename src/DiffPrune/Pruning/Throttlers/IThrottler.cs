using DiffPrune.Tensors;

namespace DiffPrune.Pruning.Throttlers;

/// <summary>Throttled tokens and the soft keep weights α that produced them.</summary>
/// <param name="Tokens">(B, N, d), standardised.</param>
/// <param name="Alpha">(B, N), Σα = K per row (for logging how binary the selection has become).</param>
public sealed record Throttled(Tensor Tokens, Tensor Alpha);

/// <summary>
/// The training-time stand-in for dropping tokens: turns scorer logits and a budget K into a differentiable
/// attenuation of the (standardised) visual tokens. At inference every throttler is replaced by hard top-K.
/// </summary>
public interface IThrottler
{
    /// <summary>Throttles <paramref name="tokens"/> (B, N, d) by <paramref name="logits"/> (B, N) at budget <paramref name="k"/>
    /// and temperature <paramref name="tau"/>, drawing any noise from <paramref name="noise"/> (a data-parallel share gets the rows of the whole batch's noise).</summary>
    Throttled Apply(Tensor tokens, Tensor logits, int k, double tau, BatchNoise noise);

    /// <summary>
    /// Throttles a padded batch: row i of <paramref name="tokens"/> (B, N_max, d) and <paramref name="logits"/> (B, N_max)
    /// holds <paramref name="budget"/>.Lengths[i] real tokens first and keeps <paramref name="budget"/>.Keep[i] of them.
    /// Real tokens are throttled as that image alone would be (given the same noise at its slots); padded slots pass
    /// through unchanged, with α = 0 and no gradient to the logits. Noise is drawn for the whole (B, N_max) layout.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes that do not fit, or a budget that does not fit them (named).</exception>
    Throttled Apply(Tensor tokens, Tensor logits, RaggedBudget budget, double tau, BatchNoise noise);
}
