using System.Numerics.Tensors;

namespace DiffPrune.Tensors;

// index_select, gather and scatter_add with PyTorch semantics. Backward of a selection is a scatter-add, so
// repeated indices accumulate.
public sealed partial class Tensor
{
    /// <summary>Picks entries <paramref name="index"/> along <paramref name="dim"/> (like <c>torch.index_select</c>; repeats allowed).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index outside 0..size−1 of <paramref name="dim"/> (the message names the shape).</exception>
    public Tensor IndexSelect(int dim, ReadOnlySpan<int> index)
    {
        int d = ShapeUtil.NormDim(dim, Rank);
        var (outer, size, inner) = ShapeUtil.Split(Shape, d);
        var idx = index.ToArray();
        foreach (int i in idx)
            if ((uint)i >= (uint)size) throw new ArgumentOutOfRangeException(nameof(index), $"index_select: index {i} out of range for dim {dim} (size {size}) of {Describe()}");
        var shape = (int[])Shape.Clone();
        shape[d] = idx.Length;
        var x = this;
        var y = PooledForOverwrite(shape); // every (outer, j) row is copied
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < idx.Length; j++)
                Array.Copy(Storage, (o * size + idx[j]) * inner, y.Storage, (o * idx.Length + j) * inner, inner);
        return Autograd.Record(y, "index_select", [x], g =>
        {
            var dx = x.GradSpan();
            for (int o = 0; o < outer; o++)
                for (int j = 0; j < idx.Length; j++)
                {
                    var dst = dx.Slice((o * size + idx[j]) * inner, inner);
                    TensorPrimitives.Add(dst, g.Data.Slice((o * idx.Length + j) * inner, inner), dst);
                }
        });
    }

    /// <summary>
    /// out[..., j, ...] = x[..., index[..., j, ...], ...] along <paramref name="dim"/> (like <c>torch.gather</c>);
    /// <paramref name="index"/> has x's rank and, except along <paramref name="dim"/>, x's sizes.
    /// </summary>
    /// <exception cref="ArgumentException">An index shape that does not fit, or an index out of range (<see cref="ArgumentOutOfRangeException"/>).</exception>
    public Tensor Gather(int dim, IntTensor index)
    {
        int d = ShapeUtil.NormDim(dim, Rank);
        CheckIndexShape("gather", d, index);
        var (outer, size, inner) = ShapeUtil.Split(Shape, d);
        int k = index.Shape[d];
        var x = this;
        var y = Pooled(index.Shape);
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < k; j++)
                for (int i = 0; i < inner; i++)
                {
                    int src = index.Data[(o * k + j) * inner + i];
                    if ((uint)src >= (uint)size) throw new ArgumentOutOfRangeException(nameof(index), $"gather: index {src} out of range for dim {dim} (size {size}) of {Describe()}");
                    y.Storage[(o * k + j) * inner + i] = Storage[(o * size + src) * inner + i];
                }
        return Autograd.Record(y, "gather", [x], g =>
        {
            var dx = x.GradSpan();
            for (int o = 0; o < outer; o++)
                for (int j = 0; j < k; j++)
                    for (int i = 0; i < inner; i++)
                        dx[(o * size + index.Data[(o * k + j) * inner + i]) * inner + i] += g.Storage[(o * k + j) * inner + i];
        });
    }

    /// <summary>
    /// A copy of x with <paramref name="src"/> added at <paramref name="index"/> along <paramref name="dim"/>
    /// (like <c>torch.scatter_add</c>); repeated indices accumulate. index and src have the same shape.
    /// </summary>
    /// <exception cref="ArgumentException">Index or src shapes that do not fit, or an index out of range (<see cref="ArgumentOutOfRangeException"/>).</exception>
    public Tensor ScatterAdd(int dim, IntTensor index, Tensor src)
    {
        int d = ShapeUtil.NormDim(dim, Rank);
        CheckIndexShape("scatter_add", d, index);
        if (!ShapeUtil.Same(index.Shape, src.Shape))
            throw new ArgumentException($"scatter_add: src {src.Describe()} must have the index's shape {ShapeUtil.Format(index.Shape)}");
        var (outer, size, inner) = ShapeUtil.Split(Shape, d);
        int k = index.Shape[d];
        var x = this;
        var y = Clone();
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < k; j++)
                for (int i = 0; i < inner; i++)
                {
                    int dst = index.Data[(o * k + j) * inner + i];
                    if ((uint)dst >= (uint)size) throw new ArgumentOutOfRangeException(nameof(index), $"scatter_add: index {dst} out of range for dim {dim} (size {size}) of {Describe()}");
                    y.Storage[(o * size + dst) * inner + i] += src.Storage[(o * k + j) * inner + i];
                }
        return Autograd.Record(y, "scatter_add", [x, src], g =>
        {
            if (x.RequiresGrad) Autograd.Accumulate(x, g.Data);
            if (src.RequiresGrad)
            {
                var ds = src.GradSpan();
                for (int o = 0; o < outer; o++)
                    for (int j = 0; j < k; j++)
                        for (int i = 0; i < inner; i++)
                            ds[(o * k + j) * inner + i] += g.Storage[(o * size + index.Data[(o * k + j) * inner + i]) * inner + i];
            }
        });
    }

    void CheckIndexShape(string op, int d, IntTensor index)
    {
        if (index.Shape.Length != Rank || Enumerable.Range(0, Rank).Any(i => i != d && index.Shape[i] != Shape[i]))
            throw new ArgumentException($"{op}: index shape {ShapeUtil.Format(index.Shape)} must match {Describe()} except along dim {d}");
    }
}
