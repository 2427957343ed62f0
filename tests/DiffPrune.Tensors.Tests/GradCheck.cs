using DiffPrune.Tensors;

namespace DiffPrune.Tensors.Tests;

/// <summary>
/// Central finite-difference gradient checks. The checked scalar is L = Σ f(x)⊙w with fixed random weights w,
/// so every output element contributes with a different weight. Perturbations are made in float32 (the engine's
/// precision); the loss is summed in double.
/// </summary>
public static class GradCheck
{
    /// <summary>
    /// Asserts that the analytic gradient of every input that requires grad matches central differences
    /// within atol + rtol·|numeric|. Returns the largest absolute difference seen.
    /// </summary>
    public static double Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double h = 1e-2, double atol = 2e-3, double rtol = 2e-2, ulong seed = 7)
    {
        var probe = f(inputs);
        var w = Tensor.Randn(new Generator(seed), probe.Shape);
        foreach (var x in inputs) x.Grad = null;
        Weighted(f(inputs), w).Backward();
        double worst = 0;
        for (int k = 0; k < inputs.Length; k++)
        {
            var x = inputs[k];
            if (!x.RequiresGrad) continue;
            Assert.True(x.Grad != null, $"input {k} {x.Describe()} received no gradient");
            var analytic = x.Grad!.ToArray();
            for (int i = 0; i < x.Numel; i++)
            {
                float saved = x.Data[i];
                x.Data[i] = (float)(saved + h);
                double lp = Loss(f, inputs, w);
                x.Data[i] = (float)(saved - h);
                double lm = Loss(f, inputs, w);
                x.Data[i] = saved;
                double numeric = (lp - lm) / (2 * h);
                double diff = Math.Abs(numeric - analytic[i]);
                worst = Math.Max(worst, diff);
                Assert.True(diff <= atol + rtol * Math.Abs(numeric),
                    $"input {k} {x.Describe()} element {i}: analytic {analytic[i]:G6} vs numeric {numeric:G6} (diff {diff:G3})");
            }
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

    static Tensor Weighted(Tensor y, Tensor w) => y.Mul(w).Sum();

    /// <summary>A random leaf that requires grad.</summary>
    public static Tensor Leaf(Generator gen, params int[] shape) => Tensor.Randn(gen, shape).RequireGrad();
}
