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
        if (k < 1 || k > n) throw new ArgumentOutOfRangeException(nameof(k), $"K must be in 1..N (got K = {k}, N = {n})");
        var data = logits.Data;
        var result = new int[b][];
        for (int r = 0; r < b; r++)
        {
            var row = data.Slice(r * n, n).ToArray();
            result[r] = Enumerable.Range(0, n).OrderByDescending(i => row[i]).ThenBy(i => i).Take(k).Order().ToArray();
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
