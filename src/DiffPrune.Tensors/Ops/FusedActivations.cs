using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DiffPrune.Tensors;

/// <summary>One smooth activation as a Vector256 function: its value and its derivative dy/dx.</summary>
internal interface IVectorActivation
{
    /// <summary>y(x) on eight lanes.</summary>
    static abstract Vector256<float> Forward(Vector256<float> x);

    /// <summary>dy/dx on eight lanes.</summary>
    static abstract Vector256<float> Derivative(Vector256<float> x);
}

/// <summary>
/// The fused activation kernels: one pass over memory, the whole formula in registers, instead of the chain of
/// TensorPrimitives passes in <see cref="ActivationKernels"/> (their naive references, same math in the same order;
/// a test compares the two to 1e-5). The tail shorter than a vector runs through the same vector code on a zero-padded
/// copy, so every element is computed alike. Without Vector256 acceleration the references run.
/// </summary>
internal static class FusedActivations
{
    /// <summary>y = f(x).</summary>
    public static void Forward<TAct>(ReadOnlySpan<float> x, Span<float> y) where TAct : IVectorActivation
    {
        int n = x.Length, i = 0;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        for (; i <= n - 8; i += 8) TAct.Forward(Vector256.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        if (i == n) return;
        Span<float> pad = stackalloc float[8];
        x[i..].CopyTo(pad);
        var v = TAct.Forward(Vector256.Create<float>(pad));
        v.CopyTo(pad);
        pad[..(n - i)].CopyTo(y[i..]);
    }

    /// <summary>dx += g ⊙ f′(x).</summary>
    public static void Backward<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> dx) where TAct : IVectorActivation
    {
        int n = x.Length, i = 0;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float gr = ref MemoryMarshal.GetReference(g);
        ref float dr = ref MemoryMarshal.GetReference(dx);
        for (; i <= n - 8; i += 8)
        {
            var d = TAct.Derivative(Vector256.LoadUnsafe(ref xr, (nuint)i));
            (Vector256.LoadUnsafe(ref gr, (nuint)i) * d + Vector256.LoadUnsafe(ref dr, (nuint)i)).StoreUnsafe(ref dr, (nuint)i);
        }
        if (i == n) return;
        Span<float> pad = stackalloc float[8];
        x[i..].CopyTo(pad);
        TAct.Derivative(Vector256.Create<float>(pad)).CopyTo(pad);
        for (int j = i; j < n; j++) dx[j] = g[j] * pad[j - i] + dx[j];
    }
}

/// <summary>Exact GELU x·Φ(x), Φ through Numerical Recipes' erfcc (as <see cref="ActivationKernels.GeluForward"/>).</summary>
internal readonly struct GeluActivation : IVectorActivation
{
    const float InvSqrt2 = 0.70710678118654752f;
    const float InvSqrt2Pi = 0.39894228040143268f;
    static readonly float[] C = Array.ConvertAll(SpecialFunctions.ErfccCoefficients, c => (float)c);

    /// <summary>y = x·Φ(x).</summary>
    public static Vector256<float> Forward(Vector256<float> x) => x * NormalCdf(x);

    /// <summary>Φ(x) + x·φ(x), φ(x) = e^{−x²/2}/√(2π).</summary>
    public static Vector256<float> Derivative(Vector256<float> x)
    {
        var pdf = Vector256.Exp(x * x * -0.5f) * InvSqrt2Pi;
        return x * pdf + NormalCdf(x);
    }

    /// <summary>Φ(x) = ½erfc(a) for x ≤ 0, 1 − ½erfc(a) otherwise, a = |x|/√2; erfc(a) = t·exp(−a² + P(t)), t = 1/(1 + a/2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> NormalCdf(Vector256<float> x)
    {
        var one = Vector256<float>.One;
        var a = Vector256.Abs(x) * InvSqrt2;
        var t = one / (a * 0.5f + one);
        var c = C;
        var p = t * c[^1];
        for (int k = c.Length - 2; k >= 1; k--) p = (p + Vector256.Create(c[k])) * t;
        p += Vector256.Create(c[0]);
        var half = Vector256.Exp(p - a * a) * t * 0.5f;
        return Vector256.ConditionalSelect(Vector256.LessThanOrEqual(x, Vector256<float>.Zero), half, one - half);
    }
}

/// <summary>SiLU x·σ(x) (as <see cref="ActivationKernels.SwishForward"/> with β = 1).</summary>
internal readonly struct SiluActivation : IVectorActivation
{
    /// <summary>y = x·σ(x).</summary>
    public static Vector256<float> Forward(Vector256<float> x) => x * Swish.Sigmoid(x);

    /// <summary>σ(x)·(1 + x·(1 − σ(x))).</summary>
    public static Vector256<float> Derivative(Vector256<float> x) => Swish.Derivative(x, x);
}

/// <summary>quick_gelu x·σ(1.702x) (as <see cref="ActivationKernels.SwishForward"/> with β = 1.702).</summary>
internal readonly struct QuickGeluActivation : IVectorActivation
{
    const float Beta = 1.702f;

    /// <summary>y = x·σ(βx).</summary>
    public static Vector256<float> Forward(Vector256<float> x) => x * Swish.Sigmoid(x * Beta);

    /// <summary>s·(1 + βx·(1 − s)), s = σ(βx).</summary>
    public static Vector256<float> Derivative(Vector256<float> x) => Swish.Derivative(x, x * Beta);
}

/// <summary>The pieces SiLU and quick_gelu share.</summary>
file static class Swish
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> z) => Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-z));

    /// <summary>s·(βx·(1 − s) + 1) with βx = <paramref name="bx"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Derivative(Vector256<float> x, Vector256<float> bx)
    {
        var s = Sigmoid(bx);
        return (bx * (Vector256<float>.One - s) + Vector256<float>.One) * s;
    }
}
