using DiffPrune.Probes;
using DiffPrune.Pruning;
using DiffPrune.Pruning.Throttlers;
using DiffPrune.Tensors;
using DiffPrune.Tests.Data;

namespace DiffPrune.Tests.Probes;

public class ThrottleAccuracyTests(SyntheticFashionMnist data) : IClassFixture<SyntheticFashionMnist>
{
    [Fact]
    public void KeepingEveryTokenScoresTheUnprunedAccuracy()
    {
        var (train, test) = (data.Train, data.Test);
        var classifier = new DeitClassifier(ProbeTestData.Narrow, 10, new Generator(3));
        classifier.RequiresGrad(false);
        TokenStandardizer standardizer;
        using (Autograd.NoGrad()) standardizer = TokenStandardizer.Fit(classifier.PatchTokens(train.Range(0, 32).Pixels));
        var accuracy = new ThrottleAccuracy(classifier, standardizer, [1.0, 0.05], 0.1);
        var gen = new Generator(4);
        for (int start = 0; start < 60; start += 30)
        {
            var (pixels, labels) = test.Range(start, 30);
            accuracy.Add(pixels, labels, gen);
        }
        var (top1, top5) = accuracy.Unpruned;
        var all = accuracy.Rows[0];
        Assert.Equal((196, top1, top5), (all.Keep, all.HardTop1, all.HardTop5));
        Assert.Equal((top1, top5), (all.VpTop1, all.VpTop5));
        Assert.Equal((1.0, 0.0), (all.Alpha.MeanInsideTopK, all.Alpha.MassOutsideTopK));
        Assert.True(top5 > top1);
        var few = accuracy.Rows[1];
        Assert.Equal(10, few.Keep);
        Assert.True(few.Alpha.MeanInsideTopK > 0.5 && few.Alpha.MassOutsideTopK < 0.5, "α at τ = 0.1 is close to the hard mask");
        Assert.Equal(60, accuracy.Images);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ThrottleAccuracy(classifier, standardizer, [0.001], 0.1));
    }

    [Fact]
    public void EachRowIsTheAccuracyOfItsRestrictionOfTheSameRandomScores()
    {
        var (train, test) = (data.Train, data.Test);
        var classifier = new DeitClassifier(ProbeTestData.Narrow, 10, new Generator(3));
        classifier.RequiresGrad(false);
        TokenStandardizer standardizer;
        using (Autograd.NoGrad()) standardizer = TokenStandardizer.Fit(classifier.PatchTokens(train.Range(0, 32).Pixels));
        var pixels = test.Range(0, 60).Pixels;

        // by hand, with the draws ThrottleAccuracy makes in the same order: the scores, then VP-Noise's ε
        Tensor clean, hard, vp, alpha;
        using (Autograd.NoGrad())
        {
            var gen = new Generator(4);
            var tokens = classifier.PatchTokens(pixels);
            var scores = Tensor.Randn(gen, [60, 196]);
            clean = classifier.Forward(pixels);
            hard = classifier.ClassifyKept(tokens, HardTopK.Indices(scores, 10));
            var throttled = new VpNoiseThrottler().Apply(standardizer.Standardize(tokens), scores, 10, 0.1, gen);
            (vp, alpha) = (classifier.Classify(standardizer.Restore(throttled.Tokens)), throttled.Alpha);
        }
        // each image's label is the class VP-Noise ranks 5th: VP-Noise scores top-1 0 and top-5 1 exactly, and any other
        // logits (another restriction, τ or draw) reorder some classes; the other rows count the same labels by hand
        static int[] Ranking(Tensor logits, int r) => Enumerable.Range(0, 10).OrderByDescending(j => logits[r, j]).ThenBy(j => j).ToArray();
        var labels = Enumerable.Range(0, 60).Select(r => Ranking(vp, r)[4]).ToArray();
        double Rate(Tensor logits, int within) => Enumerable.Range(0, 60).Count(r => Array.IndexOf(Ranking(logits, r), labels[r]) < within) / 60.0;

        var accuracy = new ThrottleAccuracy(classifier, standardizer, [0.05], 0.1);
        accuracy.Add(pixels, labels, new Generator(4));
        var row = accuracy.Rows[0];
        Assert.Equal(10, row.Keep);
        Assert.Equal((0.0, 1.0), (row.VpTop1, row.VpTop5));
        Assert.Equal((Rate(hard, 1), Rate(hard, 5)), (row.HardTop1, row.HardTop5));
        Assert.Equal((Rate(clean, 1), Rate(clean, 5)), accuracy.Unpruned);
        Assert.True(Rate(hard, 5) < 1 && Rate(clean, 5) < 1, "the labels tell the restrictions apart");
        var stats = AlphaStats.Of(alpha, 10);
        Assert.Equal(stats.MeanInsideTopK, row.Alpha.MeanInsideTopK, 9);
        Assert.Equal(stats.MassOutsideTopK, row.Alpha.MassOutsideTopK, 9);

        // the same with labels that hard top-K ranks 5th: any other kept set reorders some classes
        labels = Enumerable.Range(0, 60).Select(r => Ranking(hard, r)[4]).ToArray();
        var byHard = new ThrottleAccuracy(classifier, standardizer, [0.05], 0.1);
        byHard.Add(pixels, labels, new Generator(4));
        Assert.Equal((0.0, 1.0, Rate(vp, 1), Rate(vp, 5)), (byHard.Rows[0].HardTop1, byHard.Rows[0].HardTop5, byHard.Rows[0].VpTop1, byHard.Rows[0].VpTop5));
    }

    [Fact]
    public void TopOneAndTopFiveCountTheRankOfTheLabel()
    {
        // label 2 ranks 1st in row 0, 3rd in row 1, 6th in row 2
        var logits = Tensor.FromArray([
            0, 1, 9, 2, 3, 4,
            5, 8, 6, 7, 0, 1,
            9, 8, 3, 7, 6, 5], 3, 6);
        Assert.Equal((1L, 2L), ThrottleAccuracy.Count(logits, [2, 2, 2], 0, 0));
        Assert.Equal((3L, 5L), ThrottleAccuracy.Count(logits, [2, 2, 2], 2, 3));
    }
}
