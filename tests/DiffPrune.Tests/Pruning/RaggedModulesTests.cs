using DiffPrune.Pruning;
using DiffPrune.Pruning.Throttlers;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Pruning;

/// <summary>Scorer, denoiser, logit scale and throttlers on a padded batch: each image's real tokens as they are alone.</summary>
public class RaggedModulesTests
{
    const int Width = 16, Slots = 12;
    static readonly int[] Lengths = [12, 7, 3];

    /// <summary>(3, 12, 16) features whose padded slots hold junk of another scale (it must not matter).</summary>
    static Tensor PaddedFeatures(ulong seed)
    {
        var x = Tensor.Randn(new Generator(seed), [Lengths.Length, Slots, Width]);
        for (int r = 0; r < Lengths.Length; r++)
            for (int i = Lengths[r] * Width; i < Slots * Width; i++) x.Data[r * Slots * Width + i] = 5f * x.Data[r * Slots * Width + i] + 3f;
        return x;
    }

    static Tensor Row(Tensor padded, int r) => padded.Slice(0, r, r + 1).Slice(1, 0, Lengths[r]);

    static double MaxAbs(Tensor t) => t.ToArray().Max(v => Math.Abs(v));

    static void AssertClose(Tensor alone, Tensor padded, int r, double tol = 1e-5)
    {
        var a = alone.ToArray();
        var p = Row(padded, r).ToArray();
        Assert.Equal(a.Length, p.Length);
        double worst = a.Zip(p, (u, v) => Math.Abs(u - v)).Max();
        Assert.True(worst <= tol, $"row {r}: padded differs from alone by {worst:G3}");
    }

    [Fact]
    public void ScorerLogitsOfARealTokenDoNotDependOnThePadding()
    {
        var scorer = new TokenScorer(Width, new Generator(1), heads: 2);
        var x = PaddedFeatures(2);
        using var _ = Autograd.NoGrad();
        var logits = scorer.Forward(x, Lengths).Unsqueeze(-1);
        for (int r = 0; r < Lengths.Length; r++) AssertClose(scorer.Forward(Row(x, r)).Unsqueeze(-1), logits, r);
        // without the mask the padding leaks into the short rows (the test would see it)
        var unmasked = scorer.Forward(x).Unsqueeze(-1);
        Assert.True(MaxAbs(Row(unmasked, 2).Sub(scorer.Forward(Row(x, 2)).Unsqueeze(-1))) > 1e-3);
        // a full batch needs no mask and gives exactly the unmasked logits
        Assert.Equal(scorer.Forward(Row(x, 0)).ToArray(), scorer.Forward(Row(x, 0), [12]).ToArray());
    }

    [Fact]
    public void ScorerGradientsOfThePaddedBatchAreTheSumOfEachImagesAlone()
    {
        var scorer = new TokenScorer(Width, new Generator(3), heads: 2);
        var x = PaddedFeatures(4);
        var w = Tensor.Randn(new Generator(5), [Lengths.Length, Slots]);
        for (int r = 0; r < Lengths.Length; r++) w.Data.Slice(r * Slots + Lengths[r], Slots - Lengths[r]).Clear();
        scorer.ZeroGrad();
        scorer.Forward(x, Lengths).Mul(w).Sum().Backward();
        var batched = scorer.Parameters().Select(p => p.Grad!.ToArray()).ToArray();
        scorer.ZeroGrad();
        for (int r = 0; r < Lengths.Length; r++) scorer.Forward(Row(x, r)).Mul(Row(w.Unsqueeze(-1), r).Reshape(1, Lengths[r])).Sum().Backward();
        var alone = scorer.Parameters().Select(p => p.Grad!.ToArray()).ToArray();
        double worst = batched.Zip(alone, (b, a) => b.Zip(a, (u, v) => Math.Abs(u - v)).Max()).Max();
        Assert.True(worst <= 1e-5, $"scorer gradient of the padded batch differs from the images' alone by {worst:G3}");
    }

    [Theory]
    [InlineData(DenoiserAttention.Global)]
    [InlineData(DenoiserAttention.Diagonal)]
    public void DenoiserOutputOfARealTokenDoesNotDependOnThePadding(DenoiserAttention attention)
    {
        var denoiser = new Denoiser(Width, new Generator(6), attention, heads: 2);
        var x = PaddedFeatures(7);
        using var _ = Autograd.NoGrad();
        var y = denoiser.Forward(x, Lengths);
        for (int r = 0; r < Lengths.Length; r++) AssertClose(denoiser.Forward(Row(x, r)), y, r);
        if (attention == DenoiserAttention.Global)
            Assert.True(MaxAbs(Row(denoiser.Forward(x), 2).Sub(denoiser.Forward(Row(x, 2)))) > 1e-3);
    }

    [Fact]
    public void StandardisedLogitsUseEachImagesOwnTokensOnly()
    {
        var logits = PaddedFeatures(8).Slice(2, 0, 1).Reshape(Lengths.Length, Slots).RequireGrad();
        var scaled = LogitScale.Standardized.Apply(logits, Lengths);
        scaled.Mul(Tensor.Randn(new Generator(9), [Lengths.Length, Slots])).Sum().Backward();
        for (int r = 0; r < Lengths.Length; r++)
        {
            AssertClose(LogitScale.Standardized.Apply(Row(logits.Unsqueeze(-1), r).Reshape(1, Lengths[r])).Unsqueeze(-1), scaled.Unsqueeze(-1), r);
            Assert.All(scaled.Data.Slice(r * Slots + Lengths[r], Slots - Lengths[r]).ToArray(), v => Assert.Equal(0f, v));
            Assert.All(logits.Grad!.Data.Slice(r * Slots + Lengths[r], Slots - Lengths[r]).ToArray(), v => Assert.Equal(0f, v));
        }
        Assert.Same(logits, LogitScale.Raw.Apply(logits, Lengths));
    }

    public static TheoryData<string> Throttlers => new() { nameof(VpNoiseThrottler), nameof(ScaleGateThrottler), nameof(GumbelSteThrottler) };

    static IThrottler Create(string name) => name switch
    {
        nameof(VpNoiseThrottler) => new VpNoiseThrottler(),
        nameof(ScaleGateThrottler) => new ScaleGateThrottler(),
        _ => new GumbelSteThrottler(),
    };

    [Theory]
    [MemberData(nameof(Throttlers))]
    public void ThrottlersTreatEachImageAsAloneAndLeavePaddedSlotsAlone(string name)
    {
        var throttler = Create(name);
        var budget = new RaggedBudget(Lengths, [4, 2, 3]);
        var x = PaddedFeatures(10).RequireGrad();
        var logits = Tensor.Randn(new Generator(11), [Lengths.Length, Slots]).RequireGrad();
        var g = Tensor.Randn(new Generator(12), [Lengths.Length, Slots, Width]);
        var padded = throttler.Apply(x, logits, budget, 0.7, new Generator(13));
        padded.Tokens.Backward(g);
        for (int r = 0; r < Lengths.Length; r++)
        {
            var xr = Row(x.Detach(), r).Clone().RequireGrad();
            var sr = logits.Detach().Slice(0, r, r + 1).Slice(1, 0, Lengths[r]).Clone().RequireGrad();
            // the image alone, with its slots of the padded batch's noise; K = N is the whole image (no throttling)
            var alone = throttler.Apply(xr, sr, new RaggedBudget([Lengths[r]], [budget.Keep[r]]), 0.7, new BatchNoise(new Generator(13), r, Lengths.Length, Slots));
            alone.Tokens.Backward(Row(g, r));
            AssertClose(alone.Tokens, padded.Tokens, r);
            AssertClose(xr.Grad!, x.Grad!, r);
            AssertClose(sr.Grad!.Unsqueeze(-1), logits.Grad!.Unsqueeze(-1), r);
            Assert.Equal(budget.Keep[r], padded.Alpha.Data.Slice(r * Slots, Slots).ToArray().Sum(v => (double)v), 4);
            for (int i = Lengths[r]; i < Slots; i++)
            {
                Assert.Equal(0f, padded.Alpha.Data[r * Slots + i]);
                Assert.Equal(0f, logits.Grad!.Data[r * Slots + i]);
                for (int c = 0; c < Width; c++)
                {
                    int at = (r * Slots + i) * Width + c;
                    Assert.Equal(x.Data[at], padded.Tokens.Data[at]);    // passed through unchanged
                    Assert.Equal(g.Data[at], x.Grad!.Data[at]);          // with its gradient whole
                }
            }
        }
        Assert.Contains(logits.Grad!.ToArray(), v => Math.Abs(v) > 1e-4f);
    }

    [Fact]
    public void ScalarAndRaggedThrottlingAgreeOnAFullBatch()
    {
        var x = PaddedFeatures(14);
        var logits = Tensor.Randn(new Generator(15), [Lengths.Length, Slots]);
        var scalar = new VpNoiseThrottler().Apply(x, logits, 5, 0.4, new Generator(16));
        var ragged = new VpNoiseThrottler().Apply(x, logits, RaggedBudget.Uniform(Lengths.Length, Slots, 5), 0.4, new Generator(16));
        Assert.Equal(scalar.Tokens.ToArray(), ragged.Tokens.ToArray());
        Assert.Equal(scalar.Alpha.ToArray(), ragged.Alpha.ToArray());
    }

    [Fact]
    public void VpNoiseMixPassesPaddedSlotsThroughAndMatchesTheUnpaddedMixOnRealOnes()
    {
        var x = PaddedFeatures(17).RequireGrad();
        var eps = Tensor.Randn(new Generator(18), [Lengths.Length, Slots, Width]).RequireGrad();
        var m = Tensor.Randn(new Generator(19), [Lengths.Length, Slots]).RequireGrad();
        var y = VpNoiseMix.Forward(x, eps, m, Lengths);
        var reference = VpNoiseMix.Forward(x.Detach(), eps.Detach(), m.Detach());
        y.Sum().Backward();
        for (int r = 0; r < Lengths.Length; r++)
            for (int i = 0; i < Slots; i++)
            {
                bool real = i < Lengths[r];
                int row = r * Slots + i;
                for (int c = 0; c < Width; c++)
                {
                    int at = row * Width + c;
                    Assert.Equal(real ? reference.Data[at] : x.Data[at], y.Data[at]);
                    if (!real) Assert.Equal(0f, eps.Grad!.Data[at]);
                    if (!real) Assert.Equal(1f, x.Grad!.Data[at]);
                }
                if (!real) Assert.Equal(0f, m.Grad!.Data[row]);
                else Assert.NotEqual(0f, m.Grad!.Data[row]);
            }
        Assert.Throws<ArgumentException>(() => VpNoiseMix.Forward(x, eps, m, [12, 13, 3]));
    }

    [Fact]
    public void PaddedVpNoiseMixBackwardMatchesFiniteDifferences()
    {
        int[] lengths = [4, 2];
        var x = GradCheck.Leaf(new Generator(20), 2, 4, 3);
        var eps = GradCheck.Leaf(new Generator(21), 2, 4, 3);
        var m = GradCheck.Leaf(new Generator(22), 2, 4);
        GradCheck.Check(t => VpNoiseMix.Forward(t[0], t[1], t[2], lengths), [x, eps, m], h: 1e-2, atol: 2e-3, rtol: 3e-2);
    }
}
