using DiffPrune.Pruning;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Pruning;

public class SoftTopKTests
{
    static float[] Logits(int n, double scale, bool ties, ulong seed)
    {
        var gen = new Generator(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(gen.NextNormal() * scale);
        if (ties) for (int i = 0; i < n; i++) v[i] = MathF.Round(v[i] / (float)scale * 2) * (float)scale / 2; // few distinct values
        return v;
    }

    public static TheoryData<int> Sizes => new() { 2, 7, 144, 576, 2880 };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void AlphaSumsToKForEveryBudgetTemperatureAndLogitRange(int n)
    {
        var budgets = new[] { 1, Math.Max(1, n / 9), n / 2, n - 1 }.Where(k => k >= 1 && k < n).Distinct();
        double worst = 0;
        ulong seed = 0;
        foreach (int k in budgets)
            foreach (double tau in new[] { 0.01, 0.1, 1, 10 })
                foreach (double scale in new[] { 1e-3, 1, 100, 1e4 })
                    foreach (bool ties in new[] { false, true })
                    {
                        var s = Tensor.FromArray(Logits(n, scale, ties, ++seed), 1, n);
                        var alpha = SoftTopK.Forward(s, k, tau).ToArray();
                        Assert.All(alpha, a => Assert.True(float.IsFinite(a) && a >= 0 && a <= 1, $"α = {a} (N {n}, K {k}, τ {tau}, scale {scale})"));
                        double err = Math.Abs(alpha.Sum(a => (double)a) - k) / k;
                        worst = Math.Max(worst, err);
                        Assert.True(err <= 1e-4, $"Σα = {alpha.Sum(a => (double)a)} for K = {k} (N {n}, τ {tau}, scale {scale}, ties {ties})");
                    }
        Assert.True(worst <= 1e-4);
    }

    [Fact]
    public void EqualLogitsShareTheBudget()
    {
        var alpha = SoftTopK.Forward(Tensor.Full([1, 10], 3.5f), 4, 0.5).ToArray();
        Assert.All(alpha, a => Assert.Equal(0.4f, a, 6));
    }

    [Fact]
    public void TheThresholdSolvesTheBudgetEquationInDoublePrecision()
    {
        var gen = new Generator(11);
        for (int trial = 0; trial < 300; trial++)
        {
            int n = 2 + gen.NextInt(300);
            double scale = Math.Pow(10, gen.NextDouble() * 12 - 6); // 1e-6 … 1e6
            var z = Enumerable.Range(0, n).Select(_ => gen.NextNormal() * scale).ToArray();
            if (trial % 3 == 0) for (int i = 0; i < n; i++) z[i] = Math.Round(z[i] / scale) * scale; // ties
            double k = 1 + gen.NextDouble() * (n - 2);
            if (trial % 2 == 0) k = Math.Round(k);
            double b = SoftTopK.Threshold(z, k);
            double sum = z.Sum(v => Laplace.Cdf(v - b));
            Assert.True(Math.Abs(sum - k) / k <= 1e-10, $"trial {trial}: N {n}, K {k}, scale {scale:G3}: Σα = {sum:R}");
        }
    }

    [Fact]
    public void AlphaIsMonotoneInTheLogits()
    {
        var s = Logits(200, 3, ties: false, seed: 5);
        var alpha = SoftTopK.Forward(Tensor.FromArray(s, 1, 200), 30, 0.7).ToArray();
        var order = Enumerable.Range(0, 200).OrderBy(i => s[i]).ToArray();
        for (int j = 1; j < order.Length; j++) Assert.True(alpha[order[j]] >= alpha[order[j - 1]], $"α not monotone at rank {j}");
    }

    [Fact]
    public void AtLowTemperatureAlphaIsTheHardTopKMask()
    {
        var gen = new Generator(3);
        int n = 144, k = 16;
        var s = gen.Permutation(n).Select(i => (float)i * 0.1f).ToArray(); // distinct, gaps of 0.1
        var alpha = SoftTopK.Forward(Tensor.FromArray(s, 1, n), k, 1e-3).ToArray();
        var top = Enumerable.Range(0, n).OrderByDescending(i => s[i]).Take(k).ToHashSet();
        for (int i = 0; i < n; i++) Assert.Equal(top.Contains(i) ? 1f : 0f, alpha[i], 6);
    }

    [Theory]
    [InlineData(0.3, 1.0)]
    [InlineData(1.0, 2.5)]
    [InlineData(4.0, 5.0)]
    public void BackwardMatchesFiniteDifferences(double tau, double k)
    {
        var s = GradCheck.Leaf(new Generator(9), 3, 8);
        GradCheck.Check(x => SoftTopK.Forward(x[0], k, tau), [s], h: 1e-2, atol: 2e-3, rtol: 3e-2);
        var m = GradCheck.Leaf(new Generator(10), 2, 6);
        GradCheck.Check(x => SoftTopK.Margins(x[0], k, tau), [m], h: 1e-2, atol: 2e-3, rtol: 3e-2);
    }

    [Fact]
    public void BackwardEqualsTheImplicitFunctionClosedForm()
    {
        int n = 12;
        double tau = 0.8, k = 4;
        var s = Tensor.FromArray(Logits(n, 2, false, 21), 1, n).RequireGrad();
        var g = Logits(n, 1, false, 22);
        var alpha = SoftTopK.Forward(s, k, tau);
        alpha.Backward(Tensor.FromArray(g, 1, n));
        // ∂L/∂s = (1/τ) f ⊙ (g − ⟨q, g⟩), f = ½e^{−|z − b|}, q = f / Σf, all in double
        var z = s.ToArray().Select(v => v / tau).ToArray();
        double b = SoftTopK.Threshold(z, k);
        var f = z.Select(v => Laplace.Density(v - b)).ToArray();
        double total = f.Sum(), qg = f.Zip(g, (fi, gi) => fi / total * gi).Sum();
        var grad = s.Grad!.ToArray();
        for (int i = 0; i < n; i++) Assert.Equal(f[i] * (g[i] - qg) / tau, grad[i], 5);
    }

    [Fact]
    public void TheBudgetIsConstantSoItsGradientVanishes()
    {
        var s = Tensor.FromArray(Logits(50, 1, false, 4), 2, 25).RequireGrad();
        SoftTopK.Forward(s, 5, 0.5).Sum().Backward();
        Assert.All(s.Grad!.ToArray(), v => Assert.True(Math.Abs(v) < 1e-5, $"∂Σα/∂s = {v}"));
    }

    [Fact]
    public void FarApartLogitsKeepFiniteGradients()
    {
        var s = Tensor.FromArray([-1e4f, 0f, 1e4f, 2e4f], 1, 4).RequireGrad();
        SoftTopK.Forward(s, 2, 0.01).Mul(Tensor.FromArray([1f, 2f, 3f, 4f], 1, 4)).Sum().Backward();
        Assert.All(s.Grad!.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void BadBudgetsTemperaturesAndLogitsAreRejected()
    {
        var s = Tensor.Zeros(1, 5);
        Assert.Contains("0 < K < N", Assert.Throws<ArgumentOutOfRangeException>(() => SoftTopK.Forward(s, 0, 1)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftTopK.Forward(s, 5, 1));
        Assert.Contains("τ", Assert.Throws<ArgumentOutOfRangeException>(() => SoftTopK.Forward(s, 2, 0)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftTopK.Forward(s, 2, double.NaN));
        Assert.Contains("non-finite", Assert.Throws<NonFiniteValueException>(() => SoftTopK.Forward(Tensor.FromArray([0f, float.NaN, 1f], 1, 3), 1, 1)).Message);
    }
}
