using static DiffPrune.Tensors.Tests.Ops.TestTensors;

namespace DiffPrune.Tensors.Tests.Ops;

/// <summary>F.Linear, F.LayerNorm, F.RmsNorm, F.CrossEntropy: gradients and values against PyTorch.</summary>
public class FunctionalTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LinearGradientOn3DInput(bool withBias)
    {
        var gen = new Generator(61);
        var x = Leaf(gen, 2, 3, 4);
        var w = Leaf(gen, 5, 4);
        var b = Leaf(gen, 5);
        Tensor[] inputs = withBias ? [x, w, b] : [x, w];
        GradCheck.Check(t => F.Linear(t[0], t[1], withBias ? t[2] : null), inputs);
    }

    [Fact]
    public void LinearEqualsMatmulWithTransposedWeightPlusBias()
    {
        var gen = new Generator(62);
        var x = Tensor.Randn(gen, [2, 3, 4]);
        var w = Tensor.Randn(gen, [5, 4]);
        var b = Tensor.Randn(gen, [5]);
        AssertClose(x.Matmul(w, transB: true).Add(b).ToArray(), F.Linear(x, w, b), atol: 1e-6, rtol: 1e-6);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LayerNormGradient(bool affine)
    {
        var gen = new Generator(63);
        var x = Leaf(gen, 2, 3, 6);
        var w = Leaf(gen, 6);
        var b = Leaf(gen, 6);
        if (affine) GradCheck.Check(t => F.LayerNorm(t[0], t[1], t[2]), [x, w, b]);
        else GradCheck.Check(t => F.LayerNorm(t[0], null, null), [x]);
    }

    [Fact]
    public void LayerNormGradientWithWeightOnlyAndBiasOnly()
    {
        var gen = new Generator(64);
        var x = Leaf(gen, 4, 5);
        var w = Leaf(gen, 5);
        var b = Leaf(gen, 5);
        GradCheck.Check(t => F.LayerNorm(t[0], t[1], null), [x, w]);
        GradCheck.Check(t => F.LayerNorm(t[0], null, t[1]), [x, b]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RmsNormGradient(bool withWeight)
    {
        var gen = new Generator(65);
        var x = Leaf(gen, 2, 3, 6);
        var w = Leaf(gen, 6);
        if (withWeight) GradCheck.Check(t => F.RmsNorm(t[0], t[1]), [x, w]);
        else GradCheck.Check(t => F.RmsNorm(t[0], null), [x]);
    }

    // Rows: an ordinary row; a row far from 0 (mean 10) where a naive one-pass variance loses precision.
    static readonly float[] NormInput = [0.5f, -1.0f, 2.0f, 3.5f, -0.25f, 10.0f, 10.5f, 9.0f, 11.0f, 10.25f];
    static readonly float[] NormWeight = [1.0f, 0.5f, -2.0f, 1.5f, 0.75f];
    static readonly float[] NormBias = [0.0f, 0.1f, -0.2f, 0.3f, 1.0f];

    [Fact]
    public void LayerNormMatchesPyTorch()
    {
        var x = Tensor.FromArray(NormInput, 2, 5);
        // torch.nn.functional.layer_norm(x, (5,), w, b, 1e-5), PyTorch 1.13
        float[] affine = [-0.2785424590110779f, -0.5035086870193481f, -1.499864935874939f, 2.6676108837127686f, 0.44291508197784424f, -0.22613000869750977f, 0.3638198673725128f, 3.267338991165161f, 2.222114324569702f, 1.1130661964416504f];
        float[] plain = [-0.2785424590110779f, -1.207017421722412f, 0.6499324440956116f, 1.5784072875976562f, -0.7427799105644226f, -0.22613000869750977f, 0.5276397466659546f, -1.7336695194244385f, 1.281409502029419f, 0.1507548689842224f];
        AssertClose(affine, F.LayerNorm(x, Tensor.FromArray(NormWeight, 5), Tensor.FromArray(NormBias, 5)), atol: 2e-6, rtol: 2e-6);
        AssertClose(plain, F.LayerNorm(x, null, null), atol: 2e-6, rtol: 2e-6);
    }

    [Fact]
    public void RmsNormMatchesPyTorch()
    {
        var x = Tensor.FromArray(NormInput, 2, 5);
        // x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * w, PyTorch 1.13 (LLaMA's RMSNorm)
        float[] weighted = [0.2667848765850067f, -0.2667848765850067f, -2.1342790126800537f, 2.801241159439087f, -0.10004432499408722f, 0.9831244945526123f, 0.5161404013633728f, -1.76962411403656f, 1.6221554279327393f, 0.7557769417762756f];
        float[] plain = [0.2667848765850067f, -0.5335697531700134f, 1.0671395063400269f, 1.8674941062927246f, -0.13339243829250336f, 0.9831244945526123f, 1.0322808027267456f, 0.88481205701828f, 1.0814369916915894f, 1.0077025890350342f];
        AssertClose(weighted, F.RmsNorm(x, Tensor.FromArray(NormWeight, 5)), atol: 1e-6, rtol: 2e-6);
        AssertClose(plain, F.RmsNorm(x, null), atol: 1e-6, rtol: 2e-6);
    }

    static readonly float[] CeLogits = [0.5f, -1.0f, 2.0f, 0.0f, 1.0f, 1.0f, 1.0f, 1.0f, 3.0f, -2.0f, 0.5f, 0.25f, -0.5f, 0.0f, 0.5f, 1.5f, 2.0f, 2.5f, -1.0f, 0.0f];
    static readonly int[] CeTargets = [2, -100, 0, 3, -100];

    [Fact]
    public void CrossEntropyGradientWithIgnoredRows()
    {
        var gen = new Generator(66);
        var logits = Leaf(gen, 5, 4);
        GradCheck.Check(t => F.CrossEntropy(t[0], CeTargets), [logits]);
        GradCheck.Check(t => F.CrossEntropy(t[0], [1, 7, 7, 0, 2], ignoreIndex: 7), [logits]);
    }

    [Fact]
    public void CrossEntropyMatchesPyTorch()
    {
        var logits = Tensor.FromArray(CeLogits, 5, 4).RequireGrad();
        var loss = F.CrossEntropy(logits, CeTargets);
        // torch.nn.functional.cross_entropy(logits, t, ignore_index=-100) and its gradient, PyTorch 1.13
        Assert.Equal(0.34350237250328064, loss.Item(), 1e-6);
        loss.Backward();
        float[] grad = [0.05281490087509155f, 0.011784598231315613f, -0.09663337469100952f, 0.03203386068344116f, 0.0f, 0.0f, 0.0f, 0.0f, -0.044169943779706955f, 0.001948367222212255f, 0.023735975846648216f, 0.018485598266124725f, 0.026131372898817062f, 0.043083347380161285f, 0.07103243470191956f, -0.1402471512556076f, 0.0f, 0.0f, 0.0f, 0.0f];
        AssertClose(grad, logits.Grad!, atol: 1e-7, rtol: 1e-5);
    }

    [Fact]
    public void CrossEntropyWithEveryRowIgnoredIsZeroWithZeroGradient()
    {
        // PyTorch returns NaN here; the engine returns 0 (documented) rather than a silent NaN.
        var logits = Tensor.FromArray(CeLogits, 5, 4).RequireGrad();
        var loss = F.CrossEntropy(logits, [-100, -100, -100, -100, -100]);
        Assert.Equal(0f, loss.Item());
        loss.Backward();
        Assert.All(logits.Grad?.ToArray() ?? [], v => Assert.Equal(0f, v));
    }
}
