using DiffPrune.Tensors;

namespace DiffPrune.Pruning.Throttlers;

/// <summary>
/// DiffPrune's Variance-Preserving Noise throttler: x̃_i = √α_i x_i + √(1−α_i) ε_i, ε ~ N(0, I), α = Soft Top-K.
/// A kept token (α = 1) passes unchanged, a dropped one (α = 0) becomes pure noise that carries nothing, and for
/// unit-scale tokens every x̃ keeps unit variance, so the frozen model never sees out-of-distribution magnitudes.
/// √α and √(1−α) come in closed form from the soft top-K margins, so gradients stay finite at α = 0 and 1.
/// </summary>
public sealed class VpNoiseThrottler : IThrottler
{
    /// <inheritdoc/>
    public Throttled Apply(Tensor tokens, Tensor logits, int k, double tau, BatchNoise noise)
    {
        Shapes.Check(tokens, logits);
        var margins = SoftTopK.Margins(logits, k, tau);
        return new Throttled(VpNoiseMix.Forward(tokens, noise.Normal(tokens.Shape), margins), Laplace.Cdf(margins));
    }

    /// <inheritdoc/>
    public Throttled Apply(Tensor tokens, Tensor logits, RaggedBudget budget, double tau, BatchNoise noise)
    {
        Shapes.Check(tokens, logits, budget);
        var margins = SoftTopK.Margins(logits, budget.Lengths, Shapes.Budgets(budget), tau);
        return new Throttled(VpNoiseMix.Forward(tokens, noise.Normal(tokens.Shape), margins, budget.Lengths), Laplace.Cdf(margins));
    }
}
