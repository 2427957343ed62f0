using System.Numerics.Tensors;

namespace DiffPrune.Tensors;

/// <summary>
/// SIMD span kernels for the smooth activations (forward and dy/dx), processed in L1-sized chunks with stack
/// scratch. Each is a sequence of TensorPrimitives passes; the math is in the comments.
/// </summary>
internal static class ActivationKernels
{
    /// <summary>Elements per chunk: scratch stays in L1.</summary>
    public const int Chunk = 1024;

    const float InvSqrt2 = 0.70710678118654752f;
    const float InvSqrt2Pi = 0.39894228040143268f;
    const float Sqrt2OverPi = 0.79788456080286536f;
    const float GeluTanhCubic = 0.044715f;

    // Numerical Recipes' erfcc (SpecialFunctions.Erfc), here in float: relative error < 1.2e-7 before rounding.
    static readonly float[] ErfccCoefficients = Array.ConvertAll(SpecialFunctions.ErfccCoefficients, c => (float)c);

    /// <summary>y = x·σ(βx): SiLU (β = 1) and quick_gelu (β = 1.702).</summary>
    public static void SwishForward(ReadOnlySpan<float> x, float beta, Span<float> y)
    {
        Span<float> s = stackalloc float[Chunk];
        for (int i = 0; i < x.Length; i += Chunk)
        {
            int n = Math.Min(Chunk, x.Length - i);
            var xs = x.Slice(i, n);
            var sn = s[..n];
            TensorPrimitives.Multiply(xs, beta, sn);
            TensorPrimitives.Sigmoid(sn, sn);
            TensorPrimitives.Multiply(xs, sn, y.Slice(i, n));
        }
    }

    /// <summary>d/dx x·σ(βx) = s·(1 + βx·(1 − s)) with s = σ(βx). One chunk.</summary>
    public static void SwishDerivative(ReadOnlySpan<float> x, float beta, Span<float> d)
    {
        Span<float> s = stackalloc float[x.Length];
        Span<float> u = stackalloc float[x.Length];
        TensorPrimitives.Multiply(x, beta, d);      // βx
        TensorPrimitives.Sigmoid(d, s);             // s
        TensorPrimitives.Subtract(1f, s, u);        // 1 − s
        TensorPrimitives.Multiply(d, u, d);         // βx(1 − s)
        TensorPrimitives.Add(d, 1f, d);
        TensorPrimitives.Multiply(d, s, d);
    }

    /// <summary>y = x·Φ(x), Φ the standard normal CDF (exact GELU).</summary>
    public static void GeluForward(ReadOnlySpan<float> x, Span<float> y)
    {
        Span<float> phi = stackalloc float[Chunk];
        for (int i = 0; i < x.Length; i += Chunk)
        {
            int n = Math.Min(Chunk, x.Length - i);
            NormalCdf(x.Slice(i, n), phi[..n]);
            TensorPrimitives.Multiply(x.Slice(i, n), phi[..n], y.Slice(i, n));
        }
    }

    /// <summary>d/dx x·Φ(x) = Φ(x) + x·φ(x), φ(x) = e^{−x²/2}/√(2π). Works on one chunk.</summary>
    public static void GeluDerivative(ReadOnlySpan<float> x, Span<float> d)
    {
        Span<float> pdf = stackalloc float[x.Length];
        NormalCdf(x, d);
        TensorPrimitives.Multiply(x, x, pdf);
        TensorPrimitives.Multiply(pdf, -0.5f, pdf);
        TensorPrimitives.Exp(pdf, pdf);
        TensorPrimitives.Multiply(pdf, InvSqrt2Pi, pdf);
        TensorPrimitives.MultiplyAdd(x, pdf, d, d);
    }

    /// <summary>Φ(x) = ½·erfc(−x/√2), with a = |x|/√2: ½erfc(a) for x ≤ 0, 1 − ½erfc(a) otherwise. One chunk.</summary>
    static void NormalCdf(ReadOnlySpan<float> x, Span<float> phi)
    {
        int n = x.Length;
        Span<float> a = stackalloc float[n];
        Span<float> t = stackalloc float[n];
        TensorPrimitives.Abs(x, a);
        TensorPrimitives.Multiply(a, InvSqrt2, a);
        TensorPrimitives.Multiply(a, 0.5f, t);
        TensorPrimitives.Add(t, 1f, t);
        TensorPrimitives.Reciprocal(t, t);                       // t = 1/(1 + a/2)
        var c = ErfccCoefficients;
        TensorPrimitives.Multiply(t, c[^1], phi);                // Horner: P = ((c9·t + c8)·t + …) + c0
        for (int k = c.Length - 2; k >= 1; k--)
        {
            TensorPrimitives.Add(phi, c[k], phi);
            TensorPrimitives.Multiply(phi, t, phi);
        }
        TensorPrimitives.Add(phi, c[0], phi);
        TensorPrimitives.Multiply(a, a, a);
        TensorPrimitives.Subtract(phi, a, phi);                  // −a² + P
        TensorPrimitives.Exp(phi, phi);
        TensorPrimitives.Multiply(phi, t, phi);                  // erfc(a)
        for (int i = 0; i < n; i++) phi[i] = x[i] <= 0f ? 0.5f * phi[i] : 1f - 0.5f * phi[i];
    }

    /// <summary>y = ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (GELU, tanh form).</summary>
    public static void GeluTanhForward(ReadOnlySpan<float> x, Span<float> y)
    {
        Span<float> th = stackalloc float[Chunk];
        for (int i = 0; i < x.Length; i += Chunk)
        {
            int n = Math.Min(Chunk, x.Length - i);
            var xs = x.Slice(i, n);
            TanhOfInner(xs, th[..n]);
            TensorPrimitives.Add(th[..n], 1f, th[..n]);
            TensorPrimitives.Multiply(th[..n], xs, y.Slice(i, n));
            TensorPrimitives.Multiply(y.Slice(i, n), 0.5f, y.Slice(i, n));
        }
    }

    /// <summary>d/dx = ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²), t = tanh(u). One chunk.</summary>
    public static void GeluTanhDerivative(ReadOnlySpan<float> x, Span<float> d)
    {
        int n = x.Length;
        Span<float> th = stackalloc float[n];
        Span<float> q = stackalloc float[n];
        TanhOfInner(x, th);
        TensorPrimitives.Multiply(x, x, q);
        TensorPrimitives.Multiply(q, 3f * GeluTanhCubic, q);
        TensorPrimitives.Add(q, 1f, q);
        TensorPrimitives.Multiply(q, x, q);
        TensorPrimitives.Multiply(q, 0.5f * Sqrt2OverPi, q);     // ½x·√(2/π)(1 + 3c x²)
        TensorPrimitives.Multiply(th, th, d);
        TensorPrimitives.Subtract(1f, d, d);                     // 1 − t²
        TensorPrimitives.Multiply(d, q, d);
        TensorPrimitives.Add(th, 1f, th);
        TensorPrimitives.MultiplyAdd(th, 0.5f, d, d);            // + ½(1 + t)
    }

    /// <summary>t = tanh(√(2/π)·x·(1 + 0.044715x²)).</summary>
    static void TanhOfInner(ReadOnlySpan<float> x, Span<float> t)
    {
        TensorPrimitives.Multiply(x, x, t);
        TensorPrimitives.Multiply(t, GeluTanhCubic, t);
        TensorPrimitives.Add(t, 1f, t);
        TensorPrimitives.Multiply(t, x, t);
        TensorPrimitives.Multiply(t, Sqrt2OverPi, t);
        TensorPrimitives.Tanh(t, t);
    }
}
