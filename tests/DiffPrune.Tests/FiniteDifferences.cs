using DiffPrune.Tensors;

namespace DiffPrune.Tests;

/// <summary>Central finite differences of a scalar loss with respect to single entries of one weight tensor.</summary>
public static class FiniteDifferences
{
    /// <summary>
    /// Asserts, for every <paramref name="stride"/>-th entry i of <paramref name="weight"/>, that
    /// (loss(w_i + h) − loss(w_i − h)) / 2h is within atol + rtol·|numeric| of <paramref name="analytic"/>[i]. The weight is
    /// restored after each probe. Returns how many entries were checked.
    /// </summary>
    public static int CheckWeight(Tensor weight, float[] analytic, Func<double> loss, int stride, float h = 1e-2f, double atol = 2e-3, double rtol = 5e-2)
    {
        int count = 0;
        for (int i = 0; i < weight.Numel; i += stride, count++)
        {
            float saved = weight.Data[i];
            weight.Data[i] = saved + h;
            double up = loss();
            weight.Data[i] = saved - h;
            double down = loss();
            weight.Data[i] = saved;
            double numeric = (up - down) / (2.0 * h);
            Assert.True(Math.Abs(numeric - analytic[i]) <= atol + rtol * Math.Abs(numeric), $"{weight.Describe()} entry {i}: analytic {analytic[i]:G4} vs numeric {numeric:G4}");
        }
        return count;
    }
}
