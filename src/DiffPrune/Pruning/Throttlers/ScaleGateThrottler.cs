using DiffPrune.Tensors;

namespace DiffPrune.Pruning.Throttlers;

/// <summary>
/// The scale-gate ablation (Table 5): x̃ = α x with α = Soft Top-K. A half-kept token is a shrunken token, a
/// magnitude the frozen model never saw, and dropped tokens become the zero vector (the standardised mean).
/// </summary>
public sealed class ScaleGateThrottler : IThrottler
{
    /// <inheritdoc/>
    public Throttled Apply(Tensor tokens, Tensor logits, int k, double tau, BatchNoise noise)
    {
        var (b, n) = Shapes.Check(tokens, logits);
        var alpha = SoftTopK.Forward(logits, k, tau);
        return new Throttled(tokens.Mul(alpha.Reshape(b, n, 1)), alpha);
    }

    /// <inheritdoc/>
    public Throttled Apply(Tensor tokens, Tensor logits, RaggedBudget budget, double tau, BatchNoise noise)
    {
        var (b, n) = Shapes.Check(tokens, logits, budget);
        var alpha = SoftTopK.Forward(logits, budget.Lengths, Shapes.Budgets(budget), tau);
        return new Throttled(tokens.Mul(alpha.Reshape(b, n, 1).Add(Shapes.PaddingOnes(budget, n))), alpha);
    }
}
