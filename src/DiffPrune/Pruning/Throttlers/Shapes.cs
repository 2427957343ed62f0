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

    /// <summary>Checks a padded batch against <paramref name="budget"/> and returns (B, N_max).</summary>
    public static (int B, int N) Check(Tensor tokens, Tensor logits, RaggedBudget budget)
    {
        var (b, n) = Check(tokens, logits);
        budget.Check(b, n);
        return (b, n);
    }

    /// <summary>(B, N_max, 1): 1 at padded slots, 0 at real ones; added to a keep weight it lets padding through unchanged.</summary>
    public static Tensor PaddingOnes(RaggedBudget budget, int slots)
    {
        var ones = Tensor.Zeros(budget.Count, slots, 1);
        var valid = budget.ValidSlots(slots);
        for (int i = 0; i < valid.Length; i++) if (!valid[i]) ones.Data[i] = 1f;
        return ones;
    }

    /// <summary>K_i as Soft Top-K takes them.</summary>
    public static double[] Budgets(RaggedBudget budget) => budget.Keep.Select(k => (double)k).ToArray();
}
