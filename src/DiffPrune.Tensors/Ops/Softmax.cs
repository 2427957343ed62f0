using System.Numerics.Tensors;

namespace DiffPrune.Tensors;

// softmax / log_softmax over one dimension, numerically stable (max subtracted). A row whose entries are
// all −inf (a fully masked attention row) gives zeros instead of NaN.
public sealed partial class Tensor
{
    /// <summary>softmax over <paramref name="dim"/>.</summary>
    public Tensor Softmax(int dim = -1) => SoftmaxImpl(dim, log: false);

    /// <summary>log_softmax over <paramref name="dim"/>.</summary>
    public Tensor LogSoftmax(int dim = -1) => SoftmaxImpl(dim, log: true);

    Tensor SoftmaxImpl(int dim, bool log)
    {
        int d = ShapeUtil.NormDim(dim, Rank);
        var (outer, size, inner) = ShapeUtil.Split(Shape, d);
        var x = this;
        var y = Pooled(Shape);
        float[] xs = Storage, ys = y.Storage;
        RowParallel.For(outer, 4L * size * inner, (lo, hi) =>
        {
            for (int o = lo; o < hi; o++)
                for (int i = 0; i < inner; i++) SoftmaxLine(xs, ys, o * size * inner + i, size, inner, log);
        });
        return Autograd.Record(y, log ? "log_softmax" : "softmax", [x], g =>
        {
            x.GradSpan();
            float[] dx = x.Grad!.Storage, gs = g.Storage;
            RowParallel.For(outer, 4L * size * inner, (lo, hi) =>
            {
                for (int o = lo; o < hi; o++)
                    for (int i = 0; i < inner; i++) SoftmaxLineBackward(ys, gs, dx, o * size * inner + i, size, inner, log);
            });
        });
    }

    /// <summary>softmax (or log_softmax) of the <paramref name="size"/> entries at b, b + inner, b + 2·inner, ….</summary>
    static void SoftmaxLine(float[] xs, float[] ys, int b, int size, int inner, bool log)
    {
        float max = float.NegativeInfinity;
        for (int s = 0; s < size; s++) max = MathF.Max(max, xs[b + s * inner]);
        if (float.IsNegativeInfinity(max))
        {
            for (int s = 0; s < size; s++) ys[b + s * inner] = log ? float.NegativeInfinity : 0f;
            return;
        }
        double sum = 0;
        for (int s = 0; s < size; s++)
        {
            float e = MathF.Exp(xs[b + s * inner] - max);
            if (!log) ys[b + s * inner] = e;
            sum += e;
        }
        if (log)
        {
            float lse = max + (float)Math.Log(sum);
            for (int s = 0; s < size; s++) ys[b + s * inner] = xs[b + s * inner] - lse;
        }
        else
        {
            float inv = (float)(1.0 / sum);
            for (int s = 0; s < size; s++) ys[b + s * inner] *= inv;
        }
    }

    /// <summary>The backward of <see cref="SoftmaxLine"/>: accumulates into dx along the same line.</summary>
    static void SoftmaxLineBackward(float[] ys, float[] gs, float[] dx, int b, int size, int inner, bool log)
    {
        double dot = 0;
        if (log)
        {
            // y = x − lse(x): dx = g − softmax(x)·Σg
            for (int s = 0; s < size; s++) dot += gs[b + s * inner];
            for (int s = 0; s < size; s++)
            {
                float ly = ys[b + s * inner];
                if (!float.IsNegativeInfinity(ly)) dx[b + s * inner] += gs[b + s * inner] - MathF.Exp(ly) * (float)dot;
            }
        }
        else
        {
            // y = softmax(x): dx = y ⊙ (g − ⟨g, y⟩)
            for (int s = 0; s < size; s++) dot += gs[b + s * inner] * ys[b + s * inner];
            for (int s = 0; s < size; s++) dx[b + s * inner] += ys[b + s * inner] * (gs[b + s * inner] - (float)dot);
        }
    }
}

// Attention's softmax in one pass: y = softmax(scale·x + mask) over the last dimension, the additive mask broadcast
// to x. Fusing saves the scaled and masked copies of the (B, H, T, S) scores and their backward passes.
public sealed partial class Tensor
{
    /// <summary>
    /// softmax(<paramref name="scale"/>·x + <paramref name="mask"/>) over the last dimension; <paramref name="mask"/>
    /// (additive, −inf = blocked, no gradient) broadcasts to x. A row with every entry blocked gives zeros.
    /// Equals <c>x.Mul(scale).Add(mask).Softmax(-1)</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The mask does not broadcast to x.</exception>
    public Tensor MaskedSoftmax(Tensor? mask, float scale = 1f) => MaskedSoftmax(mask, scale, Pooled(Shape));

    /// <summary>
    /// <see cref="MaskedSoftmax(Tensor?, float)"/> written over this tensor's values, for scores that nothing else
    /// reads (attention's fresh q·kᵀ): the backward needs only the output, so the (B, H, T, S) scores need no copy.
    /// </summary>
    internal Tensor MaskedSoftmaxInPlace(Tensor? mask, float scale) => MaskedSoftmax(mask, scale, new Tensor(Storage, Shape));

    Tensor MaskedSoftmax(Tensor? mask, float scale, Tensor y)
    {
        int size = Shape[^1], rows = Numel / Math.Max(size, 1);
        var maskRow = MaskRowOffsets(mask, Shape);
        var x = this;
        float[] xs = Storage, ys = y.Storage, ms = mask?.Storage ?? [];
        RowParallel.For(rows, size * 4, (lo, hi) =>
        {
            for (int r = lo; r < hi; r++)
            {
                var row = ys.AsSpan(r * size, size);
                TensorPrimitives.Multiply(xs.AsSpan(r * size, size), scale, row);
                if (mask != null) TensorPrimitives.Add(row, ms.AsSpan(maskRow[r], size), row);
                float max = TensorPrimitives.Max(row);
                if (float.IsNegativeInfinity(max)) { row.Clear(); continue; }
                TensorPrimitives.Subtract(row, max, row);
                TensorPrimitives.Exp(row, row);
                TensorPrimitives.Multiply(row, 1f / TensorPrimitives.Sum(row), row);
            }
        });
        return Autograd.Record(y, "masked_softmax", [x], g =>
        {
            // y = softmax(scale·x + m): dx = scale · y ⊙ (g − ⟨g, y⟩)
            x.GradSpan();
            float[] dx = x.Grad!.Storage, gs = g.Storage;
            RowParallel.For(rows, size * 4, (lo, hi) =>
            {
                var rented = StoragePool.Rent(size); // may be longer than a row
                var tmp = rented.AsSpan(0, size);
                for (int r = lo; r < hi; r++)
                {
                    var yr = ys.AsSpan(r * size, size);
                    var gr = gs.AsSpan(r * size, size);
                    var dr = dx.AsSpan(r * size, size);
                    float dot = TensorPrimitives.Dot(gr, yr);
                    TensorPrimitives.Subtract(gr, dot, tmp);
                    TensorPrimitives.Multiply(tmp, yr, tmp);
                    TensorPrimitives.MultiplyAdd(tmp, scale, dr, dr);
                }
                StoragePool.Return(rented);
            });
        });
    }

    /// <summary>Offset of the mask row that broadcasts onto each last-dim row of scores of shape <paramref name="shape"/>.</summary>
    internal static int[] MaskRowOffsets(Tensor? mask, int[] shape)
    {
        int rank = shape.Length, rows = ShapeUtil.Numel(shape) / Math.Max(shape[^1], 1);
        var offsets = new int[rows];
        if (mask == null) return offsets;
        bool fits = mask.Rank <= rank && mask.Shape[^1] == shape[^1];
        for (int j = 0; fits && j < mask.Rank; j++) fits = mask.Shape[j] == 1 || mask.Shape[j] == shape[rank - mask.Rank + j];
        if (!fits) throw new ArgumentException($"mask {mask.Describe()} does not broadcast to scores {ShapeUtil.Format(shape)} (same last dimension, others equal or 1)");
        var strides = ShapeUtil.BroadcastStrides(mask.Shape, shape);
        var lead = shape[..^1];
        var idx = new int[lead.Length];
        for (int r = 0, off = 0; r < rows; r++)
        {
            offsets[r] = off;
            for (int d = lead.Length - 1; d >= 0; d--)
            {
                idx[d]++;
                off += strides[d];
                if (idx[d] < lead[d]) break;
                off -= strides[d] * lead[d];
                idx[d] = 0;
            }
        }
        return offsets;
    }
}
