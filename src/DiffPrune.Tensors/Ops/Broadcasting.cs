using System.Numerics.Tensors;

namespace DiffPrune.Tensors;

/// <summary>
/// The one generic driver for broadcast elementwise work. It walks the output row by row (last dimension) and
/// hands each row to a span kernel, so the SIMD work stays in TensorPrimitives and op files stay plain.
/// </summary>
internal static class Broadcasting
{
    /// <summary>Calls <paramref name="row"/>(outOffset, aOffset, aStride, bOffset, bStride, length) for every last-dim row of <paramref name="outShape"/>.</summary>
    public static void ForEachRow(int[] outShape, int[] aStrides, int[] bStrides, Action<int, int, int, int, int, int> row)
    {
        int rank = outShape.Length;
        if (rank == 0) { row(0, 0, 0, 0, 0, 1); return; }
        int len = outShape[rank - 1];
        int rows = ShapeUtil.Numel(outShape) / Math.Max(len, 1);
        if (len == 0) return;
        var idx = new int[rank];
        int aOff = 0, bOff = 0;
        for (int r = 0; r < rows; r++)
        {
            row(r * len, aOff, aStrides[rank - 1], bOff, bStrides[rank - 1], len);
            // odometer over the leading dims
            for (int d = rank - 2; d >= 0; d--)
            {
                idx[d]++;
                aOff += aStrides[d];
                bOff += bStrides[d];
                if (idx[d] < outShape[d]) break;
                aOff -= aStrides[d] * outShape[d];
                bOff -= bStrides[d] * outShape[d];
                idx[d] = 0;
            }
        }
    }

    /// <summary>Longest row that <see cref="Binary"/> fills on the stack to broadcast one value along it.</summary>
    const int MaxSplatRow = 4096;

    /// <summary>out = op(a, b) with broadcasting; <paramref name="spanOp"/> handles equal-length rows, <paramref name="scalarOp"/> the rest.</summary>
    public static Tensor Binary(Tensor a, Tensor b, Action<ReadOnlySpan<float>, ReadOnlySpan<float>, Span<float>> spanOp, Func<float, float, float> scalarOp)
    {
        if (ShapeUtil.Same(a.Shape, b.Shape))
        {
            var o = Tensor.PooledForOverwrite(a.Shape);
            float[] xs = a.Storage, ys = b.Storage, os = o.Storage;
            RowParallel.ForSegments(o.Numel, 2, (lo, hi) => spanOp(xs.AsSpan(lo, hi - lo), ys.AsSpan(lo, hi - lo), os.AsSpan(lo, hi - lo)));
            return o;
        }
        var shape = ShapeUtil.Broadcast(a.Shape, b.Shape);
        var result = Tensor.Pooled(shape);
        var sa = ShapeUtil.BroadcastStrides(a.Shape, shape);
        var sb = ShapeUtil.BroadcastStrides(b.Shape, shape);
        float[] ad = a.Storage, bd = b.Storage, od = result.Storage;
        ForEachRow(shape, sa, sb, (oOff, aOff, aStr, bOff, bStr, len) =>
        {
            if (aStr == 1 && bStr == 1) { spanOp(ad.AsSpan(aOff, len), bd.AsSpan(bOff, len), od.AsSpan(oOff, len)); return; }
            if (len <= MaxSplatRow && aStr + bStr == 1)
            {
                // one side is a single value along the row (a (…, 1) operand, e.g. a per-token weight): the SIMD span op
                // on a row filled with that value computes the same elementwise results as the scalar loop below
                Span<float> splat = stackalloc float[len];
                if (aStr == 0) { splat.Fill(ad[aOff]); spanOp(splat, bd.AsSpan(bOff, len), od.AsSpan(oOff, len)); }
                else { splat.Fill(bd[bOff]); spanOp(ad.AsSpan(aOff, len), splat, od.AsSpan(oOff, len)); }
                return;
            }
            for (int i = 0; i < len; i++) od[oOff + i] = scalarOp(ad[aOff + i * aStr], bd[bOff + i * bStr]);
        });
        return result;
    }

    /// <summary>Sums <paramref name="g"/> (of a broadcast shape) down to <paramref name="shape"/> and adds it into <paramref name="dst"/>.</summary>
    public static void SumToInto(Tensor g, int[] shape, Span<float> dst)
    {
        if (ShapeUtil.Same(g.Shape, shape)) { Accumulate(g.Data, dst); return; }
        var target = ShapeUtil.BroadcastStrides(shape, g.Shape);
        var own = ShapeUtil.Strides(g.Shape);
        float[] gd = g.Storage;
        var acc = StoragePool.RentZeroed(dst.Length);
        ForEachRow(g.Shape, own, target, (_, gOff, _, dOff, dStr, len) =>
        {
            if (dStr == 0) acc[dOff] += TensorPrimitives.Sum(gd.AsSpan(gOff, len));
            else TensorPrimitives.Add(acc.AsSpan(dOff, len), gd.AsSpan(gOff, len), acc.AsSpan(dOff, len));
        });
        TensorPrimitives.Add(dst, acc.AsSpan(0, dst.Length), dst);
        StoragePool.Return(acc);
    }

    /// <summary>dst += src, elementwise, split over the thread budget for long arrays (bit-identical either way).</summary>
    public static unsafe void Accumulate(ReadOnlySpan<float> src, Span<float> dst)
    {
        if (src.Length < 2 * RowParallel.Segment)
        {
            TensorPrimitives.Add(dst, src, dst);
            return;
        }
        fixed (float* ps = src)
        fixed (float* pd = dst)
        {
            nint s = (nint)ps, d = (nint)pd;
            RowParallel.ForSegments(src.Length, 2, (lo, hi) =>
            {
                var to = new Span<float>((float*)d + lo, hi - lo);
                TensorPrimitives.Add(to, new ReadOnlySpan<float>((float*)s + lo, hi - lo), to);
            });
        }
    }
}
