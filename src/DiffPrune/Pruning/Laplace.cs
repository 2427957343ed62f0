using DiffPrune.Tensors;

namespace DiffPrune.Pruning;

/// <summary>
/// The standard Laplace distribution's CDF F(x) = ½eˣ (x ≤ 0), 1 − ½e^{−x} (x &gt; 0) and the square roots the
/// VP-Noise throttler needs, each as a differentiable op written in closed form on the margin x = z − b, so that
/// values and gradients stay finite where α = F(x) reaches 0 or 1 (√α and √(1−α) computed from α would not).
/// Density: f(x) = ½e^{−|x|}.
/// </summary>
public static class Laplace
{
    /// <summary>α = F(x), elementwise; dα/dx = f(x).</summary>
    public static Tensor Cdf(Tensor x) => Elementwise("laplace_cdf", x, Cdf, Density);

    /// <summary>√F(x): √½·e^{x/2} for x ≤ 0, √(1 − ½e^{−x}) for x &gt; 0; derivative f / (2√F), finite everywhere.</summary>
    public static Tensor SqrtCdf(Tensor x) => Elementwise("laplace_sqrt_cdf", x, SqrtCdf, v => v <= 0 ? 0.5 * SqrtCdf(v) : 0.5 * Density(v) / SqrtCdf(v));

    /// <summary>√(1 − F(x)): e^{−x/2}/√2 for x &gt; 0, √(1 − ½eˣ) for x ≤ 0; derivative −f / (2√(1−F)), finite everywhere.</summary>
    public static Tensor SqrtSurvival(Tensor x) => Elementwise("laplace_sqrt_survival", x, SqrtSurvival, v => v > 0 ? -0.5 * SqrtSurvival(v) : -0.5 * Density(v) / SqrtSurvival(v));

    /// <summary>F(x) in double precision.</summary>
    public static double Cdf(double x) => x <= 0 ? 0.5 * Math.Exp(x) : 1 - 0.5 * Math.Exp(-x);

    /// <summary>f(x) = ½e^{−|x|}.</summary>
    public static double Density(double x) => 0.5 * Math.Exp(-Math.Abs(x));

    static double SqrtCdf(double x) => x <= 0 ? Math.Sqrt(0.5) * Math.Exp(0.5 * x) : Math.Sqrt(1 - 0.5 * Math.Exp(-x));

    static double SqrtSurvival(double x) => x > 0 ? Math.Sqrt(0.5) * Math.Exp(-0.5 * x) : Math.Sqrt(1 - 0.5 * Math.Exp(x));

    static Tensor Elementwise(string name, Tensor x, Func<double, double> value, Func<double, double> derivative)
    {
        var y = Tensor.Zeros(x.Shape);
        var src = x.Data;
        var dst = y.Data;
        for (int i = 0; i < src.Length; i++) dst[i] = (float)value(src[i]);
        return Autograd.Function(name, y, [x], gy =>
        {
            var gx = Tensor.Zeros(x.Shape);
            var g = gy.Data;
            var xs = x.Data;
            var d = gx.Data;
            for (int i = 0; i < d.Length; i++) d[i] = (float)(g[i] * derivative(xs[i]));
            return [gx];
        });
    }
}
