using DiffPrune.Tensors;

namespace DiffPrune.Pruning;

/// <summary>Hard top-K selection by scorer logits: what every trained pruner does at inference.</summary>
public static class HardTopK
{
    /// <summary>Per row of <paramref name="logits"/> (B, N), the indices of the K largest, in ascending (original) order.
    /// Ties go to the lower index.</summary>
    /// <exception cref="ArgumentOutOfRangeException">K outside 1..N.</exception>
    public static int[][] Indices(Tensor logits, int k)
    {
        if (logits.Rank != 2) throw new ArgumentException($"hard top-K needs logits (B, N); got {logits.Describe()}", nameof(logits));
        int b = logits.Shape[0], n = logits.Shape[1];
        TokenBudget.Check(k, n, nameof(k));
        var result = new int[b][];
        for (int r = 0; r < b; r++)
        {
            var row = logits.Data.Slice(r * n, n).ToArray();
            result[r] = Ranking.Top(k, Enumerable.Range(0, n), i => row[i]).Order().ToArray();
        }
        return result;
    }

    /// <summary>
    /// Per row of a padded batch of <paramref name="logits"/> (B, N_max), the indices of the K_i largest of its first N_i
    /// logits (<paramref name="budget"/>), in ascending (original) order; padded slots are never chosen. Ties go to the lower index.
    /// </summary>
    /// <exception cref="ArgumentException">Logits not (B, N_max), or a budget that does not fit them (named).</exception>
    public static int[][] Indices(Tensor logits, RaggedBudget budget)
    {
        if (logits.Rank != 2) throw new ArgumentException($"hard top-K needs logits (B, N_max); got {logits.Describe()}", nameof(logits));
        int b = logits.Shape[0], slots = logits.Shape[1];
        budget.Check(b, slots);
        var result = new int[b][];
        for (int r = 0; r < b; r++)
        {
            var row = logits.Data.Slice(r * slots, budget.Lengths[r]).ToArray();
            result[r] = Ranking.Top(budget.Keep[r], Enumerable.Range(0, row.Length), i => row[i]).Order().ToArray();
        }
        return result;
    }

    /// <summary>A (B, N_max) mask with 1 at the K_i largest real logits of each row of a padded batch, 0 elsewhere and at padded slots (no gradient).</summary>
    /// <exception cref="ArgumentException">Logits not (B, N_max), or a budget that does not fit them (named).</exception>
    public static Tensor Mask(Tensor logits, RaggedBudget budget) => MaskOf(logits, Indices(logits, budget));

    /// <summary>A (B, N) mask with 1 at the K largest logits of each row, 0 elsewhere (no gradient).</summary>
    public static Tensor Mask(Tensor logits, int k) => MaskOf(logits, Indices(logits, k));

    static Tensor MaskOf(Tensor logits, int[][] idx)
    {
        var mask = Tensor.Zeros(logits.Shape);
        int n = logits.Shape[^1];
        for (int r = 0; r < idx.Length; r++) foreach (int i in idx[r]) mask.Data[r * n + i] = 1f;
        return mask;
    }
}
