using static DiffPrune.Tensors.Tests.Ops.TestTensors;

namespace DiffPrune.Tensors.Tests.Ops;

/// <summary>F.Rope in both channel pairings, at non-contiguous and per-sample position ids.</summary>
public class RopeTests
{
    static readonly int[] Positions = [0, 3, 4, 9]; // non-contiguous, as after pruning

    /// <summary>(1, 2, 4, 8) with exactly representable values ((7i mod 13) − 6)/4.</summary>
    static Tensor Input()
    {
        var x = Tensor.Zeros(1, 2, 4, 8);
        for (int i = 0; i < x.Numel; i++) x.Data[i] = ((i * 7) % 13 - 6) / 4f;
        return x;
    }

    [Fact]
    public void HalfStyleMatchesHuggingFaceRotateHalf()
    {
        // x·cos + rotate_half(x)·sin with inv_freq = 1/10000^(arange(0, 8, 2)/8), emb = cat(freqs, freqs);
        // PyTorch 1.13 in float64
        float[] expected = [-1.5f, 0.25f, -1.25f, 0.5f, -1.0f, 0.75f, -0.75f, 1.0f, 0.4949962483002227f, 1.637450921399017f, -0.2573863834878708f, 1.5037432443800651f, -0.0705600040299336f, -1.0636044753617346f, 0.24238863338662298f, -1.245494381754216f, 0.42998068487612223f, -0.7263518228485598f, 0.6994134122624407f, -0.7489940026746645f, -1.032044868517576f, -0.8499488393100931f, 1.278992133966198f, -0.2529979920026731f, -0.8515472862748196f, -0.3916634548137417f, -1.4040505503199805f, 0.2432399661929745f, 1.7570905552184812f, 0.3108049841353322f, -1.130770556809011f, 0.7522195948301537f, -0.75f, 1.0f, -0.5f, 1.25f, -0.25f, 1.5f, 0.0f, -1.5f, -0.35333813019501176f, -0.9725304564110027f, 0.46977951667199813f, -0.998495502253374f, -0.7072143704353673f, -1.085902625170879f, 1.0145477838502355f, -0.5029977455016895f, -1.952258269041407f, -0.3276198340778839f, 1.5487868277247596f, -0.0019999946666709335f, 0.03446231216050766f, 0.13291066292355863f, -1.189016132046271f, 0.49999600000533334f, 1.1171895045055553f, -0.512951160831356f, -0.7244949124594929f, 0.986459682522636f, 0.043446645700581876f, 1.364507642558943f, -0.3163970951515068f, 1.5089391289105534f];
        AssertClose(expected, F.Rope(Input(), Positions, 10000f, RopeStyle.Half), atol: 5e-6, rtol: 5e-6);
    }

    [Fact]
    public void InterleavedStyleMatchesAdjacentPairRotation()
    {
        // pairs (2i, 2i+1) rotated by pos·10000^(−2i/8) (Meta LLaMA / llama2.c); PyTorch 1.13 in float64
        float[] expected = [-1.5f, 0.25f, -1.25f, 0.5f, -1.0f, 0.75f, -0.75f, 1.0f, 0.3185962382253887f, -1.3080506247804904f, -0.682114432273411f, 1.3591246820230742f, 0.04499325030374349f, -1.4993250506234812f, 0.2537488693758463f, -1.2492443761292182f, -1.0836243057397341f, 0.27524237320964784f, 0.9828595022336517f, -0.39873198877067595f, 1.019194773754295f, -0.4596107191438548f, 1.2509899973466687f, -0.24499801333598933f, -1.3666953928270154f, 0.6181777278626349f, -1.1282466798128674f, -1.0195878723735592f, -1.2898801908639985f, 0.3856281800084833f, -1.0067094091487432f, 0.7409697467045385f, -0.75f, 1.0f, -0.5f, 1.25f, -0.25f, 1.5f, 0.0f, -1.5f, -0.07109811407527733f, 1.2727706227655236f, 0.7731884512241426f, -0.8075763857949362f, 0.7721591504636124f, -0.7271659001598688f, 1.001495497753376f, -0.4969977545016855f, -1.006255149906497f, -0.7825922139190074f, 1.3815914910043277f, 0.5841275134629758f, -1.5087974935381254f, 0.18981602538529324f, -1.2519899946800042f, 0.494996013338656f, 0.6020413979533594f, -1.0954661816552642f, -1.2495343858304817f, 0.034114786050051804f, -0.610324553003511f, 1.2000016416659873f, -0.2634896928190817f, 1.4976892807849382f];
        AssertClose(expected, F.Rope(Input(), Positions, 10000f, RopeStyle.Interleaved), atol: 5e-6, rtol: 5e-6);
    }

    [Theory]
    [InlineData(RopeStyle.Interleaved)]
    [InlineData(RopeStyle.Half)]
    public void GradientAtNonContiguousPositions(RopeStyle style)
    {
        var x = Leaf(new Generator(121), 2, 2, 4, 6);
        GradCheck.Check(t => F.Rope(t[0], Positions, 10000f, style), [x]);
    }

    [Theory]
    [InlineData(RopeStyle.Interleaved)]
    [InlineData(RopeStyle.Half)]
    public void PerSamplePositions(RopeStyle style)
    {
        var x = Leaf(new Generator(122), 2, 2, 4, 6);
        int[] perSample = [0, 3, 4, 9, 2, 5, 6, 7];
        GradCheck.Check(t => F.Rope(t[0], perSample, 500f, style), [x]);
        // each sample must equal a shared-position rope of that sample alone
        var y = F.Rope(x, perSample, 500f, style);
        for (int b = 0; b < 2; b++)
        {
            var alone = F.Rope(x.Slice(0, b, b + 1), perSample.AsSpan(b * 4, 4), 500f, style);
            AssertClose(alone.ToArray(), y.Slice(0, b, b + 1), atol: 0, rtol: 0);
        }
    }

    [Theory]
    [InlineData(RopeStyle.Interleaved)]
    [InlineData(RopeStyle.Half)]
    public void RotationPreservesNormsAndRelativePositionDotProducts(RopeStyle style)
    {
        // ⟨rope(q, m), rope(k, n)⟩ depends only on m − n
        var gen = new Generator(123);
        var q = Tensor.Randn(gen, [1, 1, 1, 8]);
        var k = Tensor.Randn(gen, [1, 1, 1, 8]);
        float Dot(int m, int n) => F.Rope(q, [m], 10000f, style).Mul(F.Rope(k, [n], 10000f, style)).Sum().Item();
        Assert.Equal(Dot(3, 1), Dot(12, 10), 1e-5f);
        Assert.Equal(q.Mul(q).Sum().Item(), F.Rope(q, [37], 10000f, style).Pow(2f).Sum().Item(), 1e-5f);
        AssertClose(q.ToArray(), F.Rope(q, [0], 10000f, style), atol: 0, rtol: 0);
    }

    [Theory]
    [InlineData(RopeStyle.Half, false)]
    [InlineData(RopeStyle.Interleaved, true)]
    public void TokenMajorRopeEqualsRopeOnTransposedHeadsBitForBit(RopeStyle style, bool perSample)
    {
        var gen = new Generator(31);
        var x = Tensor.Randn(gen, [3, 5, 2, 8]).RequireGrad();   // (B, T, H, D)
        int[] positions = perSample ? Enumerable.Range(0, 15).Select(i => 2 * i + 1).ToArray() : [0, 3, 4, 9, 11];
        var upstream = Tensor.Randn(gen, x.Shape);
        var fused = F.RopeTokenMajor(x, positions, 10000f, style);
        fused.Mul(upstream).Sum().Backward();
        var fusedGrad = x.Grad!.ToArray();
        x.ZeroGrad();
        var reference = F.Rope(x.Transpose(1, 2), positions, 10000f, style).Transpose(1, 2);
        reference.Mul(upstream).Sum().Backward();
        AssertClose(reference.ToArray(), fused, atol: 0, rtol: 0);
        AssertClose(x.Grad!.ToArray(), Tensor.FromArray(fusedGrad, x.Shape), atol: 0, rtol: 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TokenMajorMultimodalRopeEqualsMultimodalRopeOnTransposedHeadsBitForBit(bool perSample)
    {
        var gen = new Generator(37);
        var x = Tensor.Randn(gen, [3, 5, 2, 16]).RequireGrad();   // (B, T, H, D)
        int plane = perSample ? 15 : 5;
        var positions = Enumerable.Range(0, 3 * plane).Select(i => (7 * i + 2) % 11).ToArray(); // three unequal planes
        int[] sections = [2, 3, 3];
        var upstream = Tensor.Randn(gen, x.Shape);
        var fused = F.MultimodalRopeTokenMajor(x, positions, sections, 500f);
        fused.Mul(upstream).Sum().Backward();
        var fusedGrad = x.Grad!.ToArray();
        x.ZeroGrad();
        var reference = F.MultimodalRope(x.Transpose(1, 2), positions, sections, 500f).Transpose(1, 2);
        reference.Mul(upstream).Sum().Backward();
        AssertClose(reference.ToArray(), fused, atol: 0, rtol: 0);
        AssertClose(x.Grad!.ToArray(), Tensor.FromArray(fusedGrad, x.Shape), atol: 0, rtol: 0);
    }

    /// <summary>Channels [a, a + n) and [b, b + n) of token-major x (B, T, H, D), side by side: (B, T, H, 2n).</summary>
    static Tensor TwoRuns(Tensor x, int a, int b, int n) => Tensor.Cat([x.Slice(3, a, a + n), x.Slice(3, b, b + n)], 3);

    [Fact]
    public void Rope2DIsOrdinaryHalfRopeOfHalfTheWidthOnRowAndOnColumnChannels()
    {
        // HF's vision table: dim D/2 per axis, so the row pairs (i, i + D/2), i < D/4, are a rotate-half RoPE of width D/2 at
        // the rows, and the column pairs (D/4 + i, 3D/4 + i) the same at the columns
        var x = Tensor.Randn(new Generator(41), [2, 5, 3, 16]);     // (B, T, H, D)
        int[] rows = [0, 0, 1, 4, 2], cols = [0, 3, 1, 0, 7];
        var y = F.Rope2DTokenMajor(x, rows, cols, 100f);
        AssertClose(F.RopeTokenMajor(TwoRuns(x, 0, 8, 4), rows, 100f, RopeStyle.Half).ToArray(), TwoRuns(y, 0, 8, 4), atol: 1e-6, rtol: 0);
        AssertClose(F.RopeTokenMajor(TwoRuns(x, 4, 12, 4), cols, 100f, RopeStyle.Half).ToArray(), TwoRuns(y, 4, 12, 4), atol: 1e-6, rtol: 0);
    }

    [Fact]
    public void Rope2DGradientAndRefusals()
    {
        var x = GradCheck.Leaf(new Generator(43), 1, 3, 2, 8);
        GradCheck.Check(t => F.Rope2DTokenMajor(t[0], [0, 2, 5], [1, 0, 3]), [x]);
        Assert.Contains("D a multiple of 4", Assert.Throws<ArgumentException>(() => F.Rope2DTokenMajor(Tensor.Zeros(1, 3, 2, 6), [0, 1, 2], [0, 1, 2])).Message);
        Assert.Contains("2 row ids and 3 column ids for 3 tokens", Assert.Throws<ArgumentException>(() => F.Rope2DTokenMajor(x, [0, 1], [0, 1, 2])).Message);
    }
}
