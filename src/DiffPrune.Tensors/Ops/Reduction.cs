using System.Numerics.Tensors;

namespace DiffPrune.Tensors;

// Reductions over one dimension, viewed as (outer, size, inner) around that dimension.
public sealed partial class Tensor
{
    /// <summary>Sum of all elements (0-d result).</summary>
    public Tensor Sum()
    {
        var x = this;
        var y = Scalar(TensorPrimitives.Sum(x.Data));
        return Autograd.Record(y, "sum", [x], g =>
        {
            var dx = x.GradSpan();
            TensorPrimitives.Add(dx, g.Storage[0], dx);
        });
    }

    /// <summary>Mean of all elements (0-d result).</summary>
    public Tensor Mean() => Sum().Mul(1f / Math.Max(Numel, 1));

    /// <summary>Sum over <paramref name="dim"/>.</summary>
    public Tensor Sum(int dim, bool keepDim = false)
    {
        int d = ShapeUtil.NormDim(dim, Rank);
        var (outer, size, inner) = ShapeUtil.Split(Shape, d);
        var x = this;
        var y = Pooled(ReducedShape(d, keepDim));
        float[] xs = Storage, ys = y.Storage;
        for (int o = 0; o < outer; o++)
            for (int s = 0; s < size; s++)
                TensorPrimitives.Add(ys.AsSpan(o * inner, inner), xs.AsSpan((o * size + s) * inner, inner), ys.AsSpan(o * inner, inner));
        return Autograd.Record(y, "sum_dim", [x], g =>
        {
            var dx = x.GradSpan();
            for (int o = 0; o < outer; o++)
                for (int s = 0; s < size; s++)
                {
                    var row = dx.Slice((o * size + s) * inner, inner);
                    TensorPrimitives.Add(row, g.Data.Slice(o * inner, inner), row);
                }
        });
    }

    /// <summary>Mean over <paramref name="dim"/>.</summary>
    public Tensor Mean(int dim, bool keepDim = false) => Sum(dim, keepDim).Mul(1f / Shape[ShapeUtil.NormDim(dim, Rank)]);

    /// <summary>Maximum over <paramref name="dim"/>; the gradient goes to the first maximal element.</summary>
    public Tensor Max(int dim, bool keepDim = false) => MaxWithIndices(dim, keepDim).Values;

    /// <summary>Maximum over <paramref name="dim"/> and its (first) index, like <c>torch.max(x, dim)</c>.</summary>
    public (Tensor Values, IntTensor Indices) MaxWithIndices(int dim, bool keepDim = false)
    {
        int d = ShapeUtil.NormDim(dim, Rank);
        var (outer, size, inner) = ShapeUtil.Split(Shape, d);
        if (size == 0) throw new ArgumentException($"Max over empty dim {dim} of {Describe()}");
        var shape = ReducedShape(d, keepDim);
        var y = Pooled(shape);
        var arg = new int[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int best = 0;
                float bv = Storage[o * size * inner + i];
                for (int s = 1; s < size; s++)
                {
                    float v = Storage[(o * size + s) * inner + i];
                    if (v > bv || (float.IsNaN(v) && !float.IsNaN(bv))) { bv = v; best = s; }
                }
                y.Storage[o * inner + i] = bv;
                arg[o * inner + i] = best;
            }
        var x = this;
        Autograd.Record(y, "max_dim", [x], g =>
        {
            var dx = x.GradSpan();
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                    dx[(o * size + arg[o * inner + i]) * inner + i] += g.Storage[o * inner + i];
        });
        return (y, new IntTensor(arg, shape));
    }

    /// <summary>Variance over <paramref name="dim"/> with Bessel's correction by default (PyTorch's <c>correction=1</c>).</summary>
    public Tensor Var(int dim, bool keepDim = false, int correction = 1)
    {
        int d = ShapeUtil.NormDim(dim, Rank);
        int n = Shape[d];
        var centered = Sub(Mean(d, keepDim: true));
        return centered.Mul(centered).Sum(d, keepDim).Mul(1f / Math.Max(n - correction, 1));
    }

    int[] ReducedShape(int d, bool keepDim)
    {
        if (keepDim) { var s = (int[])Shape.Clone(); s[d] = 1; return s; }
        return Shape.Where((_, i) => i != d).ToArray();
    }
}
