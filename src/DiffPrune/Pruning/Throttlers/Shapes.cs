using DiffPrune.Tensors;

namespace DiffPrune.Pruning.Throttlers;

static class Shapes
{
    /// <summary>Checks tokens (B, N, d) against logits (B, N) and returns (B, N).</summary>
    public static (int B, int N) Check(Tensor tokens, Tensor logits)
    {
        if (tokens.Rank != 3 || logits.Rank != 2 || tokens.Shape[0] != logits.Shape[0] || tokens.Shape[1] != logits.Shape[1])
            throw new ArgumentException($"throttler needs tokens (B, N, d) and logits (B, N); got {tokens.Describe()} and {logits.Describe()}");
        return (logits.Shape[0], logits.Shape[1]);
    }
}
