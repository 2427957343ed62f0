using DiffPrune.Tensors;

namespace DiffPrune.Testing;

/// <summary>
/// The tests' one finite-difference gradient checker: central differences (L(x + h) − L(x − h)) / 2h of a scalar loss,
/// compared with the analytic gradient entry by entry within atol + rtol·|numeric|. Perturbations are made in float32
/// (the engine's precision); losses are summed in double. The default tolerances reject a gradient 1 % off wherever
/// its entries are of order one or larger (GradCheckTests shows it).
/// </summary>
public static class GradCheck
{
    /// <summary>Default absolute tolerance.</summary>
    public const double Atol = 1e-3;

    /// <summary>Default relative tolerance (below 1 %).</summary>
    public const double Rtol = 5e-3;

    /// <summary>
    /// Checks the gradient of every input of <paramref name="f"/> that requires grad. The checked scalar is
    /// L = Σ f(x)⊙w with fixed random weights w (seeded by <paramref name="seed"/>), so every output element
    /// contributes with a different weight. Returns the largest absolute difference seen.
    /// </summary>
    public static double Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double h = 1e-2, double atol = Atol, double rtol = Rtol, ulong seed = 7)
    {
        var probe = f(inputs);
        var w = Tensor.Randn(new Generator(seed), probe.Shape);
        foreach (var x in inputs) x.Grad = null;
        f(inputs).Mul(w).Sum().Backward();
        double worst = 0;
        for (int k = 0; k < inputs.Length; k++)
        {
            var x = inputs[k];
            if (!x.RequiresGrad) continue;
            Assert.True(x.Grad != null, $"input {k} {x.Describe()} received no gradient");
            worst = Math.Max(worst, Entries(x, x.Grad!.ToArray(), () => Loss(f, inputs, w), 1, h, atol, rtol, $"input {k}"));
        }
        return worst;
    }

    /// <summary>
    /// Checks every <paramref name="stride"/>-th entry of <paramref name="weight"/> against
    /// <paramref name="analytic"/> (its gradient of <paramref name="loss"/>, computed beforehand). The weight is
    /// restored after each probe. Returns how many entries were checked.
    /// </summary>
    public static int CheckEntries(Tensor weight, float[] analytic, Func<double> loss, int stride = 1, double h = 1e-2, double atol = Atol, double rtol = Rtol)
    {
        Entries(weight, analytic, loss, stride, h, atol, rtol, "weight");
        return (weight.Numel + stride - 1) / stride;
    }

    static double Entries(Tensor x, float[] analytic, Func<double> loss, int stride, double h, double atol, double rtol, string what)
    {
        double worst = 0;
        for (int i = 0; i < x.Numel; i += stride)
        {
            float saved = x.Data[i];
            x.Data[i] = (float)(saved + h);
            double lp = loss();
            x.Data[i] = (float)(saved - h);
            double lm = loss();
            x.Data[i] = saved;
            double numeric = (lp - lm) / (2 * h);
            double diff = Math.Abs(numeric - analytic[i]);
            worst = Math.Max(worst, diff);
            Assert.True(diff <= atol + rtol * Math.Abs(numeric),
                $"{what} {x.Describe()} element {i}: analytic {analytic[i]:G6} vs numeric {numeric:G6} (diff {diff:G3}, allowed {atol + rtol * Math.Abs(numeric):G3})");
        }
        return worst;
    }

    static double Loss(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor w)
    {
        using var _ = Autograd.NoGrad();
        var y = f(inputs);
        double s = 0;
        for (int i = 0; i < y.Numel; i++) s += (double)y.Data[i] * w.Data[i];
        return s;
    }

    /// <summary>A random N(0, 1) leaf that requires grad.</summary>
    public static Tensor Leaf(Generator gen, params int[] shape) => Tensor.Randn(gen, shape).RequireGrad();
}
