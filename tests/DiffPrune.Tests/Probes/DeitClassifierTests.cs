using DiffPrune.Probes;
using DiffPrune.Tensors;
using DiffPrune.Tests.Data;

namespace DiffPrune.Tests.Probes;

public class DeitClassifierTests(SyntheticFashionMnist data) : IClassFixture<SyntheticFashionMnist>
{
    [Fact]
    public void KeepingEveryTokenIsTheUnprunedForward()
    {
        var train = data.Train;
        var classifier = new DeitClassifier(ProbeTestData.Narrow, 10, new Generator(1));
        var (pixels, _) = train.Range(0, 2);
        using var _ = Autograd.NoGrad();
        var tokens = classifier.PatchTokens(pixels);
        Assert.Equal([2, 196, 8], tokens.Shape);
        var all = Enumerable.Repeat(Enumerable.Range(0, 196).ToArray(), 2).ToArray();
        Tolerance.AssertClose(classifier.Forward(pixels), classifier.ClassifyKept(tokens, all), atol: 1e-5, rtol: 0);
    }

    [Fact]
    public void ZeroOneKeyWeightsSeeExactlyTheKeptTokens()
    {
        // the Gumbel-STE forward: weighting attention keys by a hard mask equals dropping the unmasked tokens
        var train = data.Train;
        var classifier = new DeitClassifier(ProbeTestData.Narrow with { NumLayers = 2 }, 10, new Generator(2));
        var (pixels, _) = train.Range(0, 2);
        using var _ = Autograd.NoGrad();
        var tokens = classifier.PatchTokens(pixels);
        var gen = new Generator(5);
        var kept = new[] { gen.Permutation(196).Take(30).Order().ToArray(), gen.Permutation(196).Take(30).Order().ToArray() };
        var mask = Tensor.Zeros(2, 196);
        for (int r = 0; r < 2; r++) foreach (int i in kept[r]) mask[r, i] = 1f;
        var dropped = classifier.ClassifyKept(tokens, kept);
        Tolerance.AssertClose(dropped, classifier.Classify(tokens, mask), atol: 1e-4, rtol: 0);
        Assert.True(Math.Abs(dropped.Data[0] - classifier.Classify(tokens).Data[0]) > 1e-3f, "pruning changes the logits");
        Assert.Throws<ArgumentException>(() => classifier.ClassifyKept(tokens, [kept[0]]));
    }
}
