using static DiffPrune.Tensors.Tests.Ops.TestTensors;

namespace DiffPrune.Tensors.Tests.Ops;

/// <summary>softmax / log_softmax over first, middle and last dims; −inf entries and fully masked rows.</summary>
public class SoftmaxTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(-1)]
    public void GradientsOverEachDim(int dim)
    {
        var gen = new Generator(41);
        var x = Leaf(gen, 2, 3, 4);
        GradCheck.Check(t => t[0].Softmax(dim), [x]);
        GradCheck.Check(t => t[0].LogSoftmax(dim), [x]);
    }

    [Fact]
    public void GradientWithMaskedEntries()
    {
        // −inf entries get no gradient; the rest behave as a softmax over the unmasked entries
        var gen = new Generator(42);
        var x = Leaf(gen, 3, 5);
        var mask = Tensor.Zeros(3, 5);
        mask[0, 1] = float.NegativeInfinity;
        mask[2, 0] = mask[2, 4] = float.NegativeInfinity;
        GradCheck.Check(t => t[0].Add(mask).Softmax(-1), [x]);
        // log_softmax is −inf at masked entries: mask column 0 of every row and check the other columns
        var colMask = Tensor.Zeros(3, 5);
        for (int r = 0; r < 3; r++) colMask[r, 0] = float.NegativeInfinity;
        GradCheck.Check(t => t[0].Add(colMask).LogSoftmax(-1).Slice(1, 1, 5), [x]);
    }

    // Input rows: a −inf entry; two −inf entries; no −inf.
    static readonly float Ninf = float.NegativeInfinity;
    static readonly float[] Logits = [1.0f, Ninf, 2.0f, 0.5f, Ninf, 3.0f, Ninf, -1.0f, 0.1f, 0.2f, 0.3f, 0.4f];

    [Fact]
    public void SoftmaxWithNegativeInfinityMatchesPyTorch()
    {
        // torch.softmax(x, -1), PyTorch 1.13
        float[] expected = [0.23122389614582062f, 0.0f, 0.6285316944122314f, 0.14024437963962555f, 0.0f, 0.9820137619972229f, 0.0f, 0.01798621006309986f, 0.21383821964263916f, 0.23632778227329254f, 0.26118260622024536f, 0.28865140676498413f];
        AssertClose(expected, Tensor.FromArray(Logits, 3, 4).Softmax(-1), atol: 1e-7, rtol: 1e-6);
    }

    [Fact]
    public void LogSoftmaxMatchesPyTorch()
    {
        // torch.log_softmax(x, -1), PyTorch 1.13
        float[] expected = [-1.4643688201904297f, Ninf, -0.4643687903881073f, -1.9643688201904297f, Ninf, -0.018149960786104202f, Ninf, -4.0181498527526855f, -1.5425355434417725f, -1.442535638809204f, -1.3425356149673462f, -1.2425355911254883f];
        AssertClose(expected, Tensor.FromArray(Logits, 3, 4).LogSoftmax(-1), atol: 1e-6, rtol: 1e-6);
    }

    [Fact]
    public void SoftmaxOverFirstDimMatchesTransposedLastDim()
    {
        var x = Tensor.Randn(new Generator(43), [4, 3, 2]);
        var a = x.Softmax(0);
        var b = x.Permute(1, 2, 0).Softmax(-1).Permute(2, 0, 1);
        AssertClose(b.ToArray(), a, atol: 1e-7, rtol: 1e-6);
        AssertClose(Tensor.Ones(3, 2).ToArray(), a.Sum(0), atol: 1e-6, rtol: 0);
    }

    [Fact]
    public void FullyMaskedRowGivesZerosAndFiniteGradient()
    {
        // PyTorch returns NaN here; the engine returns zeros (documented) so that a fully masked attention row stays finite.
        var x = Tensor.Zeros(2, 3).RequireGrad();
        var mask = Tensor.FromArray([0f, 0f, 0f, Ninf, Ninf, Ninf], 2, 3);
        var y = x.Add(mask).Softmax(-1);
        AssertClose([1f / 3, 1f / 3, 1f / 3, 0f, 0f, 0f], y);
        y.Mul(Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3)).Sum().Backward();
        Finite(x.Grad!);
        AssertClose([0f, 0f, 0f], x.Grad!.Slice(0, 1, 2).Reshape(3));
    }

    [Fact]
    public void LargeLogitsDoNotOverflow()
    {
        var y = Tensor.FromArray([1000f, 1001f, -1000f], 3).Softmax();
        Finite(y);
        AssertClose([0.26894142f, 0.7310586f, 0f], y);
    }

    [Fact]
    public void MaskedSoftmaxEqualsScaleMaskSoftmaxWithEveryBroadcastMask()
    {
        var gen = new Generator(43);
        var x = Leaf(gen, 2, 3, 4, 5);
        var causal = Tensor.Zeros(4, 5);
        for (int i = 0; i < 4; i++) for (int j = i + 2; j < 5; j++) causal[i, j] = Ninf;
        var padding = Tensor.Zeros(2, 1, 1, 5);
        padding.Storage[3] = padding.Storage[9] = Ninf;
        var perSample = causal.Reshape(1, 1, 4, 5).Add(padding); // (2, 1, 4, 5)
        var fullyMasked = Tensor.Zeros(2, 3, 4, 5);
        for (int j = 0; j < 5; j++) fullyMasked.Storage[(1 * 3 + 2) * 20 + 2 * 5 + j] = Ninf; // one whole row blocked
        foreach (var mask in new Tensor?[] { null, causal, padding, perSample, fullyMasked })
        {
            var expected = mask == null ? x.Mul(0.7f).Softmax(-1) : x.Mul(0.7f).Add(mask).Softmax(-1);
            AssertClose(expected.ToArray(), x.MaskedSoftmax(mask, 0.7f), atol: 1e-6, rtol: 1e-5);
            GradCheck.Check(t => t[0].MaskedSoftmax(mask, 0.7f), [x]);
        }
        Assert.Throws<ArgumentException>(() => x.MaskedSoftmax(Tensor.Zeros(2, 1, 5)));
        Assert.Throws<ArgumentException>(() => x.MaskedSoftmax(Tensor.Zeros(4, 4)));
    }

    [Fact]
    public void MaskedSoftmaxOverManyRowsRunsOnSeveralThreadsAndMatchesTheComposition()
    {
        var gen = new Generator(44);
        var x = Leaf(gen, 4, 4, 96, 96);
        var causal = Tensor.Zeros(96, 96);
        for (int i = 0; i < 96; i++) for (int j = i + 1; j < 96; j++) causal[i, j] = Ninf;
        var upstream = Tensor.Randn(gen, x.Shape);
        var fused = x.MaskedSoftmax(causal, 0.3f);
        fused.Mul(upstream).Sum().Backward();
        var fusedGrad = x.Grad!.ToArray();
        x.Grad = null;
        var composed = x.Mul(0.3f).Add(causal).Softmax(-1);
        composed.Mul(upstream).Sum().Backward();
        AssertClose(composed.ToArray(), fused, atol: 1e-6, rtol: 1e-5);
        AssertClose(x.Grad!.ToArray(), Tensor.FromArray(fusedGrad, x.Shape), atol: 1e-6, rtol: 1e-4);
    }
}
