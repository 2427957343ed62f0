using System.Numerics.Tensors;

namespace DiffPrune.Tensors;

// Binary elementwise ops with NumPy/PyTorch broadcasting. The backward of a broadcast input sums the
// gradient over the dimensions it was broadcast along.
public sealed partial class Tensor
{
    /// <summary>a + b (broadcasting).</summary>
    public Tensor Add(Tensor other)
    {
        var (a, b) = (this, other);
        var y = Broadcasting.Binary(a, b, TensorPrimitives.Add, (p, q) => p + q);
        return Autograd.Record(y, "add", [a, b], g =>
        {
            if (a.RequiresGrad) Broadcasting.SumToInto(g, a.Shape, a.GradSpan());
            if (b.RequiresGrad) Broadcasting.SumToInto(g, b.Shape, b.GradSpan());
        });
    }

    /// <summary>a − b (broadcasting).</summary>
    public Tensor Sub(Tensor other)
    {
        var (a, b) = (this, other);
        var y = Broadcasting.Binary(a, b, TensorPrimitives.Subtract, (p, q) => p - q);
        return Autograd.Record(y, "sub", [a, b], g =>
        {
            if (a.RequiresGrad) Broadcasting.SumToInto(g, a.Shape, a.GradSpan());
            if (b.RequiresGrad) Broadcasting.SumToInto(g.Detach().Neg(), b.Shape, b.GradSpan());
        });
    }

    /// <summary>a ⊙ b (broadcasting).</summary>
    public Tensor Mul(Tensor other)
    {
        var (a, b) = (this, other);
        var y = Broadcasting.Binary(a, b, TensorPrimitives.Multiply, (p, q) => p * q);
        return Autograd.Record(y, "mul", [a, b], g =>
        {
            // d(a⊙b)/da = b, d/db = a
            if (a.RequiresGrad) Broadcasting.SumToInto(g.Mul(b.Detach()), a.Shape, a.GradSpan());
            if (b.RequiresGrad) Broadcasting.SumToInto(g.Mul(a.Detach()), b.Shape, b.GradSpan());
        });
    }

    /// <summary>a / b (broadcasting).</summary>
    public Tensor Div(Tensor other)
    {
        var (a, b) = (this, other);
        var y = Broadcasting.Binary(a, b, TensorPrimitives.Divide, (p, q) => p / q);
        return Autograd.Record(y, "div", [a, b], g =>
        {
            // y = a/b: dy/da = 1/b, dy/db = −a/b² = −y/b
            var bd = b.Detach();
            if (a.RequiresGrad) Broadcasting.SumToInto(g.Div(bd), a.Shape, a.GradSpan());
            if (b.RequiresGrad) Broadcasting.SumToInto(g.Mul(y.Detach()).Div(bd).Neg(), b.Shape, b.GradSpan());
        });
    }

    /// <summary>x + c.</summary>
    public Tensor Add(float c) => MapScalar("add_scalar", v => TensorPrimitives.Add(v, c, v), 1f);

    /// <summary>x · c.</summary>
    public Tensor Mul(float c) => MapScalar("mul_scalar", v => TensorPrimitives.Multiply(v, c, v), c);

    /// <summary>x − c.</summary>
    public Tensor Sub(float c) => Add(-c);

    /// <summary>x / c.</summary>
    public Tensor Div(float c) => Mul(1f / c);

    /// <summary>−x.</summary>
    public Tensor Neg() => Mul(-1f);

    Tensor MapScalar(string op, Action<Span<float>> apply, float slope)
    {
        var x = this;
        var y = PooledForOverwrite(Shape);
        Data.CopyTo(y.Data);
        float[] ys = y.Storage;
        RowParallel.ForSegments(Numel, 2, (lo, hi) => apply(ys.AsSpan(lo, hi - lo)));
        return Autograd.Record(y, op, [x], g =>
        {
            x.GradSpan();
            float[] dx = x.Grad!.Storage, gs = g.Storage;
            RowParallel.ForSegments(x.Numel, 2, (lo, hi) =>
            {
                var d = dx.AsSpan(lo, hi - lo);
                if (slope == 1f) TensorPrimitives.Add(d, gs.AsSpan(lo, hi - lo), d);
                else TensorPrimitives.MultiplyAdd(gs.AsSpan(lo, hi - lo), slope, d, d);
            });
        });
    }

    /// <summary>Elementwise operator form of <see cref="Add(Tensor)"/>.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    /// <summary>Elementwise operator form of <see cref="Sub(Tensor)"/>.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    /// <summary>Elementwise operator form of <see cref="Mul(Tensor)"/>.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    /// <summary>Elementwise operator form of <see cref="Div(Tensor)"/>.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    /// <summary>x + c.</summary>
    public static Tensor operator +(Tensor a, float c) => a.Add(c);
    /// <summary>x − c.</summary>
    public static Tensor operator -(Tensor a, float c) => a.Add(-c);
    /// <summary>x · c.</summary>
    public static Tensor operator *(Tensor a, float c) => a.Mul(c);
    /// <summary>c · x.</summary>
    public static Tensor operator *(float c, Tensor a) => a.Mul(c);
    /// <summary>x / c.</summary>
    public static Tensor operator /(Tensor a, float c) => a.Div(c);
    /// <summary>−x.</summary>
    public static Tensor operator -(Tensor a) => a.Neg();
}
