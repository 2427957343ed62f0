using DiffPrune.Pruning;
using DiffPrune.Pruning.Throttlers;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Pruning;

public class ThrottlerTests
{
    // logits 0, 1, …, N−1: at τ = 1e-3 the margins are ±500 or more, so α is 0 or 1 to double precision
    static Tensor SteppedLogits(int b, int n) => Tensor.FromArray(Enumerable.Range(0, b * n).Select(i => (float)(i % n)).ToArray(), b, n);

    [Fact]
    public void VpNoiseIsTheIdentityAtAlphaOneAndPureNoiseAtAlphaZero()
    {
        int b = 2, n = 6, d = 5, k = 4;
        var x = Tensor.Randn(new Generator(1), [b, n, d]).RequireGrad();
        var logits = SteppedLogits(b, n).RequireGrad();
        var result = new VpNoiseThrottler().Apply(x, logits, k, 1e-3, new Generator(7));
        var eps = Tensor.Randn(new Generator(7), [b, n, d]).ToArray();
        var y = result.Tokens.ToArray();
        for (int i = 0; i < b * n; i++)
        {
            bool kept = i % n >= n - k;
            for (int c = 0; c < d; c++) Assert.Equal(kept ? x.Data[i * d + c] : eps[i * d + c], y[i * d + c]);
        }
        result.Tokens.Sum().Backward();
        Assert.All(logits.Grad!.ToArray(), v => Assert.True(float.IsFinite(v)));
        Assert.All(x.Grad!.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void VpNoisePreservesUnitVarianceAtAnyAlpha()
    {
        int n = 8, d = 4000;
        var x = Tensor.Randn(new Generator(2), [1, n, d]);
        var logits = Tensor.FromArray([-2f, -1f, -0.5f, 0f, 0.2f, 0.5f, 1f, 3f], 1, n);
        var result = new VpNoiseThrottler().Apply(x, logits, 3, 1.0, new Generator(3));
        var alpha = result.Alpha.ToArray();
        Assert.Contains(alpha, a => a is > 0.2f and < 0.8f); // a genuinely soft case
        var y = result.Tokens.ToArray();
        for (int i = 0; i < n; i++)
        {
            double var = y.Skip(i * d).Take(d).Average(v => (double)v * v);
            Assert.InRange(var, 0.93, 1.07);
        }
    }

    [Fact]
    public void VpNoiseBackwardMatchesFiniteDifferencesWithTheNoiseHeldFixed()
    {
        var x = GradCheck.Leaf(new Generator(4), 2, 5, 3);
        var s = GradCheck.Leaf(new Generator(5), 2, 5);
        GradCheck.Check(a => new VpNoiseThrottler().Apply(a[0], a[1], 2, 0.7, new Generator(6)).Tokens, [x, s], h: 1e-2, atol: 3e-3, rtol: 3e-2);
    }

    [Fact]
    public void ScaleGateMultipliesByAlpha()
    {
        var x = Tensor.Randn(new Generator(8), [1, 4, 3]);
        var s = Tensor.FromArray([0.3f, -1f, 2f, 0.1f], 1, 4);
        var result = new ScaleGateThrottler().Apply(x, s, 2, 0.5, new Generator(0));
        var alpha = SoftTopK.Forward(s, 2, 0.5).ToArray();
        for (int i = 0; i < 12; i++) Assert.Equal(x.Data[i] * alpha[i / 3], result.Tokens.Data[i], 6);
        var xl = GradCheck.Leaf(new Generator(9), 1, 4, 3);
        var sl = GradCheck.Leaf(new Generator(10), 1, 4);
        GradCheck.Check(a => new ScaleGateThrottler().Apply(a[0], a[1], 2, 0.5, new Generator(0)).Tokens, [xl, sl], h: 1e-2, atol: 3e-3, rtol: 3e-2);
    }

    [Fact]
    public void GumbelSteIsHardForwardAndSoftBackward()
    {
        int b = 2, n = 9, d = 3, k = 3;
        var x = Tensor.Randn(new Generator(11), [b, n, d]);
        var s = Tensor.Randn(new Generator(12), [b, n]).RequireGrad();
        var w = Tensor.Randn(new Generator(13), [b, n, d]);
        var result = new GumbelSteThrottler().Apply(x, s, k, 0.5, new Generator(14));
        // forward: exactly K tokens pass unchanged, the rest are zero
        var y = result.Tokens.ToArray();
        for (int r = 0; r < b; r++)
        {
            int passed = 0;
            for (int i = 0; i < n; i++)
            {
                var token = Enumerable.Range(0, d).Select(c => y[(r * n + i) * d + c]).ToArray();
                var original = Enumerable.Range(0, d).Select(c => x.Data[(r * n + i) * d + c]).ToArray();
                if (token.All(v => v == 0)) continue;
                Assert.Equal(original, token);
                passed++;
            }
            Assert.Equal(k, passed);
        }
        // backward: the gradient of the soft gate on the same perturbed logits
        result.Tokens.Mul(w).Sum().Backward();
        var perturbed = s.Detach().Add(Tensor.RandGumbel(new Generator(14), b, n)).RequireGrad();
        x.Mul(SoftTopK.Forward(perturbed, k, 0.5).Reshape(b, n, 1)).Mul(w).Sum().Backward();
        Tolerance.AssertClose(perturbed.Grad!.ToArray(), s.Grad!.ToArray(), atol: 1e-5, rtol: 0);
    }

    [Fact]
    public void MismatchedShapesAreNamed()
    {
        var e = Assert.Throws<ArgumentException>(() => new VpNoiseThrottler().Apply(Tensor.Zeros(2, 5, 3), Tensor.Zeros(2, 4), 2, 1, new Generator(0)));
        Assert.Contains("(B, N, d)", e.Message);
    }
}

