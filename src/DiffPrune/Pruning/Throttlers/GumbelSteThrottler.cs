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
    public Throttled Apply(Tensor tokens, Tensor logits, int k, double tau, Generator noise)
    {
        var (b, n) = Shapes.Check(tokens, logits);
        var perturbed = logits.Add(Tensor.RandGumbel(noise, b, n));
        var alpha = SoftTopK.Forward(perturbed, k, tau);
        var hard = HardTopK.Mask(perturbed, k);
        var mask = alpha.Add(hard.Sub(alpha).Detach());   // value: hard; gradient: soft
        return new Throttled(tokens.Mul(mask.Reshape(b, n, 1)), alpha);
    }
}
