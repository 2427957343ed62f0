namespace DiffPrune.Tensors;

// Shape ops: reshape is a view (shared storage); permute, slice, cat, stack and expand materialise.
public sealed partial class Tensor
{
    /// <summary>Same values, new shape (one dimension may be −1). A view: storage is shared.</summary>
    public Tensor Reshape(params int[] shape)
    {
        var s = InferShape(shape);
        var x = this;
        var y = new Tensor(Storage, s);
        return Autograd.Record(y, "reshape", [x], g => Autograd.Accumulate(x, g.Data));
    }

    /// <summary>Alias of <see cref="Reshape"/> (PyTorch's <c>view</c>).</summary>
    public Tensor View(params int[] shape) => Reshape(shape);

    /// <summary>Flattens dims <paramref name="start"/>..<paramref name="end"/> into one.</summary>
    public Tensor Flatten(int start = 0, int end = -1)
    {
        int s = ShapeUtil.NormDim(start, Rank), e = ShapeUtil.NormDim(end, Rank);
        var shape = Shape[..s].Append(ShapeUtil.Numel(Shape.AsSpan(s, e - s + 1))).Concat(Shape[(e + 1)..]).ToArray();
        return Reshape(shape);
    }

    /// <summary>Inserts a size-1 dimension at <paramref name="dim"/>.</summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = dim < 0 ? dim + Rank + 1 : dim;
        if (d < 0 || d > Rank) throw new ArgumentOutOfRangeException(nameof(dim), $"unsqueeze dim {dim} out of range for {Describe()}");
        var s = Shape.ToList();
        s.Insert(d, 1);
        return Reshape(s.ToArray());
    }

    /// <summary>Removes dimension <paramref name="dim"/>, which must have size 1.</summary>
    public Tensor Squeeze(int dim)
    {
        int d = ShapeUtil.NormDim(dim, Rank);
        if (Shape[d] != 1) throw new ArgumentException($"squeeze: dim {dim} of {Describe()} has size {Shape[d]}, not 1");
        return Reshape(Shape.Where((_, i) => i != d).ToArray());
    }

    int[] InferShape(int[] shape)
    {
        var s = (int[])shape.Clone();
        int infer = Array.IndexOf(s, -1);
        if (infer >= 0)
        {
            int known = 1;
            for (int i = 0; i < s.Length; i++) if (i != infer) known *= s[i];
            if (known == 0 || Numel % known != 0) throw new ArgumentException($"cannot reshape {Describe()} into {ShapeUtil.Format(shape)}");
            s[infer] = Numel / known;
        }
        if (ShapeUtil.CheckedNumel(s) != Numel) throw new ArgumentException($"cannot reshape {Describe()} ({Numel} elements) into {ShapeUtil.Format(shape)}");
        return s;
    }

    /// <summary>Swaps two dimensions (materialises).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        var perm = Enumerable.Range(0, Rank).ToArray();
        int a = ShapeUtil.NormDim(dim0, Rank), b = ShapeUtil.NormDim(dim1, Rank);
        (perm[a], perm[b]) = (perm[b], perm[a]);
        return Permute(perm);
    }

    /// <summary>Reorders dimensions: output dim i is input dim <c>dims[i]</c> (materialises).</summary>
    public Tensor Permute(params int[] dims)
    {
        if (dims.Length != Rank || dims.Distinct().Count() != Rank || dims.Any(d => d < 0 || d >= Rank))
            throw new ArgumentException($"permute: {ShapeUtil.Format(dims)} is not a permutation of the dims of {Describe()}");
        var x = this;
        var outShape = dims.Select(d => Shape[d]).ToArray();
        var y = Pooled(outShape);
        var inStrides = ShapeUtil.Strides(Shape);
        var permStrides = dims.Select(d => inStrides[d]).ToArray();
        Gather(y.Storage, Storage, outShape, permStrides);
        var inverse = new int[Rank];
        for (int i = 0; i < Rank; i++) inverse[dims[i]] = i;
        return Autograd.Record(y, "permute", [x], g =>
        {
            var back = Pooled(x.Shape);
            var gStrides = ShapeUtil.Strides(outShape);
            Gather(back.Storage, g.Storage, x.Shape, inverse.Select(d => gStrides[d]).ToArray());
            Autograd.Accumulate(x, back.Data);
        });
    }

    /// <summary>dst[flat index over dstShape] = src[Σ idx·srcStrides].</summary>
    static void Gather(float[] dst, float[] src, int[] dstShape, int[] srcStrides)
    {
        if (dstShape.Length < 2)
        {
            GatherBlock(dst, 0, src, 0, dstShape, srcStrides);
            return;
        }
        // the blocks along the first output dim are independent copies: one range of them per thread
        var inner = dstShape[1..];
        var innerStrides = srcStrides[1..];
        int block = ShapeUtil.Numel(inner);
        RowParallel.For(dstShape[0], 2L * block, (lo, hi) =>
        {
            for (int i = lo; i < hi; i++) GatherBlock(dst, i * block, src, i * srcStrides[0], inner, innerStrides);
        });
    }

    static void GatherBlock(float[] dst, int dstOffset, float[] src, int srcOffset, int[] dstShape, int[] srcStrides)
    {
        var unit = new int[dstShape.Length];
        Broadcasting.ForEachRow(dstShape, srcStrides, unit, (oOff, sOff, sStr, _, _, len) =>
        {
            oOff += dstOffset;
            sOff += srcOffset;
            if (sStr == 1) Array.Copy(src, sOff, dst, oOff, len);
            else for (int i = 0; i < len; i++) dst[oOff + i] = src[sOff + i * sStr];
        });
    }

    /// <summary>Elements <paramref name="start"/>..<paramref name="end"/>−1 along <paramref name="dim"/> (like <c>x.narrow</c> / slicing).</summary>
    public Tensor Slice(int dim, int start, int end)
    {
        int d = ShapeUtil.NormDim(dim, Rank);
        if (start < 0) start += Shape[d];
        if (end < 0) end += Shape[d];
        if (start < 0 || end > Shape[d] || start > end)
            throw new ArgumentOutOfRangeException(nameof(start), $"slice [{start}, {end}) out of range for dim {dim} of {Describe()}");
        var (outer, size, inner) = ShapeUtil.Split(Shape, d);
        int len = end - start;
        var shape = (int[])Shape.Clone();
        shape[d] = len;
        var x = this;
        var y = Pooled(shape);
        for (int o = 0; o < outer; o++)
            Array.Copy(Storage, (o * size + start) * inner, y.Storage, o * len * inner, len * inner);
        return Autograd.Record(y, "slice", [x], g =>
        {
            var dx = x.GradSpan();
            for (int o = 0; o < outer; o++)
            {
                var dst = dx.Slice((o * size + start) * inner, len * inner);
                System.Numerics.Tensors.TensorPrimitives.Add(dst, g.Data.Slice(o * len * inner, len * inner), dst);
            }
        });
    }

    /// <summary>Concatenates along <paramref name="dim"/>; all other dims must match.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim)
    {
        if (tensors.Count == 0) throw new ArgumentException("cat needs at least one tensor");
        var first = tensors[0];
        int d = ShapeUtil.NormDim(dim, first.Rank);
        foreach (var t in tensors)
            if (t.Rank != first.Rank || Enumerable.Range(0, t.Rank).Any(i => i != d && t.Shape[i] != first.Shape[i]))
                throw new ArgumentException($"cat along dim {dim}: {t.Describe()} does not match {first.Describe()}");
        var shape = (int[])first.Shape.Clone();
        shape[d] = tensors.Sum(t => t.Shape[d]);
        var (outer, total, inner) = ShapeUtil.Split(shape, d);
        var y = PooledForOverwrite(shape); // the tensors tile it
        int at = 0;
        var starts = new int[tensors.Count];
        for (int j = 0; j < tensors.Count; j++)
        {
            var t = tensors[j];
            int len = t.Shape[d];
            starts[j] = at;
            for (int o = 0; o < outer; o++)
                Array.Copy(t.Storage, o * len * inner, y.Storage, (o * total + at) * inner, len * inner);
            at += len;
        }
        var inputs = tensors.ToArray();
        return Autograd.Record(y, "cat", inputs, g =>
        {
            for (int j = 0; j < inputs.Length; j++)
            {
                var t = inputs[j];
                if (!t.RequiresGrad) continue;
                int len = t.Shape[d];
                var dt = t.GradSpan();
                for (int o = 0; o < outer; o++)
                {
                    var dst = dt.Slice(o * len * inner, len * inner);
                    System.Numerics.Tensors.TensorPrimitives.Add(dst, g.Data.Slice((o * total + starts[j]) * inner, len * inner), dst);
                }
            }
        });
    }

    /// <summary>Stacks equal-shaped tensors along a new dimension <paramref name="dim"/>.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("stack needs at least one tensor");
        foreach (var t in tensors)
            if (!ShapeUtil.Same(t.Shape, tensors[0].Shape))
                throw new ArgumentException($"stack needs equal shapes: {t.Describe()} vs {tensors[0].Describe()}");
        return Cat(tensors.Select(t => t.Unsqueeze(dim)).ToList(), dim);
    }

    /// <summary>Materialises a broadcast of this tensor to <paramref name="shape"/> (like <c>expand(...).contiguous()</c>).</summary>
    public Tensor Expand(params int[] shape)
    {
        var target = ShapeUtil.Broadcast(Shape, shape);
        if (!ShapeUtil.Same(target, shape)) throw new ArgumentException($"cannot expand {Describe()} to {ShapeUtil.Format(shape)}");
        var x = this;
        var y = Pooled(shape);
        Gather(y.Storage, Storage, shape, ShapeUtil.BroadcastStrides(Shape, shape));
        return Autograd.Record(y, "expand", [x], g => Broadcasting.SumToInto(g, x.Shape, x.GradSpan()));
    }
}
