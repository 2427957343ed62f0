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
}
