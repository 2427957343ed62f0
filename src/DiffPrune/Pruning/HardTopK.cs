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

    /// <summary>A (B, N) mask with 1 at the K largest logits of each row, 0 elsewhere (no gradient).</summary>
    public static Tensor Mask(Tensor logits, int k)
    {
        var mask = Tensor.Zeros(logits.Shape);
        int n = logits.Shape[^1];
        var idx = Indices(logits, k);
        for (int r = 0; r < idx.Length; r++) foreach (int i in idx[r]) mask.Data[r * n + i] = 1f;
        return mask;
    }
}
