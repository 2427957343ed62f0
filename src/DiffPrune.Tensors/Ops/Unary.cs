using System.Numerics.Tensors;

namespace DiffPrune.Tensors;

// Unary elementwise ops. Each names its forward and the derivative its backward applies
// (written in terms of x and/or the output y, whichever is cheaper and stable).
public sealed partial class Tensor
{
    delegate float Derivative(float x, float y);

    Tensor Unary(string op, Action<ReadOnlySpan<float>, Span<float>> forward, Derivative dydx)
    {
        var x = this;
        var y = Zeros(Shape);
        forward(x.Data, y.Data);
        return Autograd.Record(y, op, [x], g =>
        {
            var dx = x.GradSpan();
            ReadOnlySpan<float> xs = x.Data, ys = y.Data, gs = g.Data;
            for (int i = 0; i < dx.Length; i++) dx[i] += gs[i] * dydx(xs[i], ys[i]);
        });
    }

    /// <summary>eˣ.</summary>
    public Tensor Exp() => Unary("exp", TensorPrimitives.Exp, (_, y) => y);

    /// <summary>ln x.</summary>
    public Tensor Log() => Unary("log", TensorPrimitives.Log, (x, _) => 1f / x);

    /// <summary>√x.</summary>
    public Tensor Sqrt() => Unary("sqrt", TensorPrimitives.Sqrt, (_, y) => 0.5f / y);

    /// <summary>1/√x.</summary>
    public Tensor Rsqrt() => Unary("rsqrt", (x, y) => { TensorPrimitives.Sqrt(x, y); TensorPrimitives.Reciprocal(y, y); },
        (x, y) => -0.5f * y / x); // d(x^-1/2) = −½ x^-3/2 = −½ y/x

    /// <summary>xᵖ for a constant exponent.</summary>
    public Tensor Pow(float p) => Unary("pow", (x, y) => TensorPrimitives.Pow(x, p, y),
        (x, _) => p == 0f ? 0f : p * MathF.Pow(x, p - 1f));

    /// <summary>|x| (subgradient 0 at 0, as PyTorch).</summary>
    public Tensor Abs() => Unary("abs", TensorPrimitives.Abs, (x, _) => MathF.Sign(x));

    /// <summary>tanh x.</summary>
    public Tensor Tanh() => Unary("tanh", TensorPrimitives.Tanh, (_, y) => 1f - y * y);

    /// <summary>σ(x) = 1/(1+e^−x).</summary>
    public Tensor Sigmoid() => Unary("sigmoid", TensorPrimitives.Sigmoid, (_, y) => y * (1f - y));

    /// <summary>max(x, 0).</summary>
    public Tensor Relu() => Unary("relu", (x, y) => TensorPrimitives.Max(x, 0f, y), (x, _) => x > 0f ? 1f : 0f);

    /// <summary>x·σ(x) (SiLU / swish).</summary>
    public Tensor Silu() => Unary("silu", SiluForward, (x, _) =>
    {
        float s = 1f / (1f + MathF.Exp(-x));
        return s * (1f + x * (1f - s));
    });

    /// <summary>x·σ(1.702x) (CLIP's quick_gelu).</summary>
    public Tensor QuickGelu() => Unary("quick_gelu", (x, y) =>
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] / (1f + MathF.Exp(-1.702f * x[i]));
    }, (x, _) =>
    {
        float s = 1f / (1f + MathF.Exp(-1.702f * x));
        return s + 1.702f * x * s * (1f - s);
    });

    /// <summary>GELU, exact form x·Φ(x) (<paramref name="approximateTanh"/> false) or the tanh approximation.</summary>
    public Tensor Gelu(bool approximateTanh = false) => approximateTanh
        ? Unary("gelu_tanh", (x, y) => { for (int i = 0; i < x.Length; i++) y[i] = GeluTanh(x[i]); }, (x, _) => GeluTanhGrad(x))
        : Unary("gelu", (x, y) => { for (int i = 0; i < x.Length; i++) y[i] = (float)(x[i] * NormalCdf(x[i])); },
            (x, _) => (float)(NormalCdf(x) + x * Math.Exp(-0.5 * x * x) * InvSqrt2Pi));

    static void SiluForward(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] / (1f + MathF.Exp(-x[i]));
    }

    const double InvSqrt2Pi = 0.3989422804014327;
    const float Sqrt2OverPi = 0.7978845608f;

    static double NormalCdf(double x) => 0.5 * SpecialFunctions.Erfc(-x / Math.Sqrt(2.0));

    static float GeluTanh(float x) => 0.5f * x * (1f + MathF.Tanh(Sqrt2OverPi * (x + 0.044715f * x * x * x)));

    static float GeluTanhGrad(float x)
    {
        float u = Sqrt2OverPi * (x + 0.044715f * x * x * x);
        float t = MathF.Tanh(u);
        return 0.5f * (1f + t) + 0.5f * x * (1f - t * t) * Sqrt2OverPi * (1f + 3f * 0.044715f * x * x);
    }
}
