using DiffPrune.Tensors;

namespace DiffPrune.Pruning.Throttlers;

/// <summary>
/// The GumbelDiffPrune baseline (Table 5): the forward pass keeps the hard top-K of s + g (g standard Gumbel
/// noise) and zeroes the rest; the backward pass pretends the mask was the soft relaxation α = Soft Top-K(s + g)
/// (a straight-through estimator: the gradient is that of a function the forward pass did not compute).
/// </summary>
public sealed class GumbelSteThrottler : IThrottler
{
    /// <inheritdoc/>
    public Throttled Apply(Tensor tokens, Tensor logits, int k, double tau, BatchNoise noise)
    {
        var (b, n) = Shapes.Check(tokens, logits);
        var (mask, alpha) = StraightThroughMask(logits, k, tau, noise);
        return new Throttled(tokens.Mul(mask.Reshape(b, n, 1)), alpha);
    }

    /// <inheritdoc/>
    public Throttled Apply(Tensor tokens, Tensor logits, RaggedBudget budget, double tau, BatchNoise noise)
    {
        var (b, n) = Shapes.Check(tokens, logits, budget);
        var perturbed = logits.Add(noise.Gumbel(logits.Shape));
        var alpha = SoftTopK.Forward(perturbed, budget.Lengths, Shapes.Budgets(budget), tau);
        var hard = HardTopK.Mask(perturbed, budget);
        var mask = alpha.Add(hard.Sub(alpha).Detach());   // value: hard; gradient: soft
        return new Throttled(tokens.Mul(mask.Reshape(b, n, 1).Add(Shapes.PaddingOnes(budget, n))), alpha);
    }

    /// <summary>
    /// The straight-through mask of <paramref name="logits"/> (B, N): its value is the hard top-K mask of s + g (1 kept,
    /// 0 dropped), its gradient that of α = Soft Top-K(s + g, K, τ), which is returned too. Gumbel noise g (B, N) is drawn
    /// from <paramref name="noise"/>. A caller may apply the mask any way it likes (zeroing tokens, or weighting attention
    /// keys so that dropped tokens vanish from the forward pass).
    /// </summary>
    public static (Tensor Mask, Tensor Alpha) StraightThroughMask(Tensor logits, int k, double tau, BatchNoise noise)
    {
        var perturbed = logits.Add(noise.Gumbel(logits.Shape));
        var alpha = SoftTopK.Forward(perturbed, k, tau);
        var hard = HardTopK.Mask(perturbed, k);
        return (alpha.Add(hard.Sub(alpha).Detach()), alpha);   // value: hard; gradient: soft
    }
}
