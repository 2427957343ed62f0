namespace DiffPrune.Tensors;

// Sorting along the last dimension. Not differentiable: results are detached.
public sealed partial class Tensor
{
    /// <summary>Indices that sort each last-dim row (stable; ties keep their original order).</summary>
    public IntTensor Argsort(bool descending = false)
    {
        if (Rank == 0) throw new ArgumentException("argsort needs a tensor of rank ≥ 1");
        int n = Shape[^1], rows = n == 0 ? 0 : Numel / n;
        var result = new int[Numel];
        var keys = new float[n];
        var idx = new int[n];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < n; i++) { idx[i] = i; keys[i] = Storage[r * n + i]; }
            // Array.Sort is unstable: sort by (key, index) to make it stable. NaN counts as the largest value, as in
            // PyTorch: last when ascending, first when descending (so topk picks it).
            Array.Sort(idx, (p, q) =>
            {
                int c = CompareNanLast(keys[p], keys[q]);
                if (descending) c = -c;
                return c != 0 ? c : p.CompareTo(q);
            });
            Array.Copy(idx, 0, result, r * n, n);
        }
        return new IntTensor(result, (int[])Shape.Clone());
    }

    static int CompareNanLast(float a, float b)
    {
        bool na = float.IsNaN(a), nb = float.IsNaN(b);
        if (na || nb) return na == nb ? 0 : na ? 1 : -1;
        return a.CompareTo(b);
    }

    /// <summary>Sorted values and their indices along the last dim.</summary>
    public (Tensor Values, IntTensor Indices) Sort(bool descending = false)
    {
        var idx = Argsort(descending);
        return (TakeAlongLastDim(idx), idx);
    }

    /// <summary>The <paramref name="k"/> largest (or smallest) values along the last dim and their indices, in sorted order.</summary>
    public (Tensor Values, IntTensor Indices) TopK(int k, bool largest = true)
    {
        int n = Rank == 0 ? 0 : Shape[^1];
        if (k < 0 || k > n) throw new ArgumentOutOfRangeException(nameof(k), $"topk: k = {k} must be in 0..{n} for {Describe()}");
        var order = Argsort(descending: largest);
        int rows = n == 0 ? 0 : Numel / n;
        var top = new int[rows * k];
        for (int r = 0; r < rows; r++) Array.Copy(order.Data, r * n, top, r * k, k);
        var shape = (int[])Shape.Clone();
        shape[^1] = k;
        var idx = new IntTensor(top, shape);
        return (TakeAlongLastDim(idx), idx);
    }

    Tensor TakeAlongLastDim(IntTensor idx)
    {
        int n = Shape[^1], k = idx.Shape[^1];
        var y = Pooled(idx.Shape);
        int rows = k == 0 ? 0 : idx.Numel / k;
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < k; j++) y.Storage[r * k + j] = Storage[r * n + idx.Data[r * k + j]];
        return y;
    }
}
