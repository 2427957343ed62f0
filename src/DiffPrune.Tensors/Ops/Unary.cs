using System.Numerics.Tensors;

namespace DiffPrune.Tensors;

// Unary elementwise ops. Each names its forward kernel and the derivative dy/dx its backward multiplies the
// incoming gradient by, written in terms of x and/or the output y. Both are span kernels (SIMD through
// TensorPrimitives); the backward runs them chunk by chunk so the scratch stays in L1.
public sealed partial class Tensor
{
    /// <summary>Writes dy/dx for a chunk, given the chunk's inputs x and outputs y.</summary>
    delegate void DerivativeKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d);

    Tensor Unary(string op, Action<ReadOnlySpan<float>, Span<float>> forward, DerivativeKernel derivative)
    {
        var x = this;
        var y = PooledForOverwrite(Shape);
        float[] xs = x.Storage, ys = y.Storage;
        RowParallel.ForSegments(Numel, 8, (lo, hi) => forward(xs.AsSpan(lo, hi - lo), ys.AsSpan(lo, hi - lo)));
        return Autograd.Record(y, op, [x], g =>
        {
            x.GradSpan();
            float[] dx = x.Grad!.Storage, gs = g.Storage;
            RowParallel.ForSegments(x.Numel, 8, (lo, hi) =>
            {
                Span<float> d = stackalloc float[ActivationKernels.Chunk];
                for (int i = lo; i < hi; i += ActivationKernels.Chunk)
                {
                    int n = Math.Min(ActivationKernels.Chunk, hi - i);
                    derivative(xs.AsSpan(i, n), ys.AsSpan(i, n), d[..n]);
                    // dx += g ⊙ dy/dx
                    TensorPrimitives.MultiplyAdd(gs.AsSpan(i, n), d[..n], dx.AsSpan(i, n), dx.AsSpan(i, n));
                }
            });
        });
    }

    /// <summary>eˣ.</summary>
    public Tensor Exp() => Unary("exp", TensorPrimitives.Exp, (_, y, d) => y.CopyTo(d));

    /// <summary>ln x.</summary>
    public Tensor Log() => Unary("log", TensorPrimitives.Log, (x, _, d) => TensorPrimitives.Reciprocal(x, d));

    /// <summary>√x.</summary>
    public Tensor Sqrt() => Unary("sqrt", TensorPrimitives.Sqrt, (_, y, d) =>
    {
        TensorPrimitives.Reciprocal(y, d); // d(√x) = ½/√x
        TensorPrimitives.Multiply(d, 0.5f, d);
    });

    /// <summary>1/√x.</summary>
    public Tensor Rsqrt() => Unary("rsqrt", (x, y) => { TensorPrimitives.Sqrt(x, y); TensorPrimitives.Reciprocal(y, y); },
        (x, y, d) =>
        {
            TensorPrimitives.Divide(y, x, d); // d(x^-1/2) = −½ x^-3/2 = −½ y/x
            TensorPrimitives.Multiply(d, -0.5f, d);
        });

    /// <summary>xᵖ for a constant exponent.</summary>
    public Tensor Pow(float p) => Unary("pow", (x, y) => TensorPrimitives.Pow(x, p, y), (x, _, d) =>
    {
        if (p == 0f) { d.Clear(); return; }
        TensorPrimitives.Pow(x, p - 1f, d); // p·x^(p−1)
        TensorPrimitives.Multiply(d, p, d);
    });

    /// <summary>|x| (subgradient 0 at 0, as PyTorch).</summary>
    public Tensor Abs() => Unary("abs", TensorPrimitives.Abs, (x, _, d) =>
    {
        for (int i = 0; i < x.Length; i++) d[i] = MathF.Sign(x[i]);
    });

    /// <summary>tanh x.</summary>
    public Tensor Tanh() => Unary("tanh", TensorPrimitives.Tanh, (_, y, d) =>
    {
        TensorPrimitives.Multiply(y, y, d); // 1 − y²
        TensorPrimitives.Subtract(1f, d, d);
    });

    /// <summary>σ(x) = 1/(1+e^−x).</summary>
    public Tensor Sigmoid() => Unary("sigmoid", TensorPrimitives.Sigmoid, (_, y, d) =>
    {
        TensorPrimitives.Subtract(1f, y, d); // y(1 − y)
        TensorPrimitives.Multiply(d, y, d);
    });

    /// <summary>max(x, 0).</summary>
    public Tensor Relu() => Unary("relu", (x, y) => TensorPrimitives.Max(x, 0f, y), (x, _, d) =>
    {
        for (int i = 0; i < x.Length; i++) d[i] = x[i] > 0f ? 1f : 0f;
    });

    /// <summary>x·σ(x) (SiLU / swish).</summary>
    public Tensor Silu() => Fused<SiluActivation>("silu", (x, y) => ActivationKernels.SwishForward(x, 1f, y), (x, _, d) => ActivationKernels.SwishDerivative(x, 1f, d));

    /// <summary>x·σ(1.702x) (CLIP's quick_gelu).</summary>
    public Tensor QuickGelu() => Fused<QuickGeluActivation>("quick_gelu", (x, y) => ActivationKernels.SwishForward(x, 1.702f, y), (x, _, d) => ActivationKernels.SwishDerivative(x, 1.702f, d));

    /// <summary>GELU, exact form x·Φ(x) (<paramref name="approximateTanh"/> false) or the tanh approximation.</summary>
    public Tensor Gelu(bool approximateTanh = false) => approximateTanh
        ? Unary("gelu_tanh", ActivationKernels.GeluTanhForward, (x, _, d) => ActivationKernels.GeluTanhDerivative(x, d))
        : Fused<GeluActivation>("gelu", ActivationKernels.GeluForward, (x, _, d) => ActivationKernels.GeluDerivative(x, d));

    /// <summary>An activation with a fused Vector256 kernel (<see cref="FusedActivations"/>); the TensorPrimitives
    /// composition (its reference) runs where Vector256 is not accelerated.</summary>
    Tensor Fused<TAct>(string op, Action<ReadOnlySpan<float>, Span<float>> reference, DerivativeKernel referenceDerivative) where TAct : IVectorActivation
    {
        if (!System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated) return Unary(op, reference, referenceDerivative);
        var x = this;
        var y = PooledForOverwrite(Shape);
        float[] xs = x.Storage, ys = y.Storage;
        RowParallel.ForSegments(Numel, 4, (lo, hi) => FusedActivations.Forward<TAct>(xs.AsSpan(lo, hi - lo), ys.AsSpan(lo, hi - lo)));
        return Autograd.Record(y, op, [x], g =>
        {
            x.GradSpan();
            float[] dx = x.Grad!.Storage, gs = g.Storage;
            RowParallel.ForSegments(x.Numel, 4, (lo, hi) =>
                FusedActivations.Backward<TAct>(xs.AsSpan(lo, hi - lo), gs.AsSpan(lo, hi - lo), dx.AsSpan(lo, hi - lo)));
        });
    }
}
