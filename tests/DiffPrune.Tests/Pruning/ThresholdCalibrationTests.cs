using DiffPrune.Pruning;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Pruning;

public class ThresholdCalibrationTests
{
    static int[] Counts(double[][] scores, double threshold) => scores.Select(s => ThresholdCalibration.KeptCount(s, threshold)).ToArray();

    [Fact]
    public void HitsTheTargetMeanKExactlyOnAHandMadeScoreSet()
    {
        double[][] scores = [[5, 4, 3, 0, -1], [2.5, 1, 0.5, 0.2, 0.1], [0.9, 0.8, 0.7, 0.6, -2]];
        // mean K = 2 (6 tokens): walking down, 5 4 3 go to the first image, 2.5 1 to the second, 0.9 is the third's
        // first token; 0.8 would be a seventh, so the threshold lies halfway between 0.8 and 0.9
        var (threshold, kept) = ThresholdCalibration.Fit(scores, 2);
        Assert.Equal(0.85, threshold.Value, 12);
        Assert.Equal((2, 3), (threshold.MeanKeep, threshold.Images));
        Assert.Equal([3, 2, 1], Counts(scores, threshold.Value));
        Assert.Equal(new KeptTokenStats(2, 1, 3, 3), kept);
        // mean K = 1: every image keeps its best token even below the threshold, so it sits just under the first
        // image's second score
        var one = ThresholdCalibration.Fit(scores, 1);
        Assert.Equal(4.5, one.Threshold.Value, 12);
        Assert.Equal([1, 1, 1], Counts(scores, one.Threshold.Value));
        Assert.Equal(new KeptTokenStats(1, 1, 1, 3), one.Kept);
        // mean K = N keeps everything
        var all = ThresholdCalibration.Fit(scores, 5);
        Assert.Equal([5, 5, 5], Counts(scores, all.Threshold.Value));
    }

    [Fact]
    public void HitsEveryTargetExactlyOnRandomScoresWithoutTies()
    {
        var gen = new Generator(7);
        for (int trial = 0; trial < 20; trial++)
        {
            int b = 1 + gen.NextInt(12), n = 2 + gen.NextInt(40);
            var scores = Enumerable.Range(0, b).Select(_ => Enumerable.Range(0, n).Select(_ => 3.0 * gen.NextNormal() + gen.NextNormal()).ToArray()).ToArray();
            for (int k = 1; k <= n; k++)
            {
                var (threshold, kept) = ThresholdCalibration.Fit(scores, k);
                var counts = Counts(scores, threshold.Value);
                Assert.Equal(k * b, counts.Sum());
                Assert.Equal(KeptTokenStats.Of(counts), kept);
                Assert.Equal(k, kept.Mean, 12);
            }
        }
    }

    [Fact]
    public void TiedScoresAreKeptTogetherAndTheNearerReachableMeanIsTaken()
    {
        // the second image's 1 ties with two of the first's: from 2 tokens the total jumps to 5 at once
        double[][] tied = [[3, 1, 1, 0], [2, 1, 0, -1]];
        var (threshold, kept) = ThresholdCalibration.Fit(tied, 2);    // 4 is unreachable; 5 is nearer than 2
        Assert.Equal(0.5, threshold.Value, 12);
        Assert.Equal([3, 2], Counts(tied, threshold.Value));
        Assert.Equal(2.5, kept.Mean);
        // four tokens tie at 1 in each image: 4 is reachable exactly, 6 is not and 4 is nearer than 12
        double[][] flat = [[3, 2, 1, 1, 1, 1], [3, 2, 1, 1, 1, 1]];
        Assert.Equal(1.5, ThresholdCalibration.Fit(flat, 2).Threshold.Value, 12);
        Assert.Equal(2.0, ThresholdCalibration.Fit(flat, 2).Kept.Mean);
        Assert.Equal(1.5, ThresholdCalibration.Fit(flat, 3).Threshold.Value, 12);
        Assert.Equal(2.0, ThresholdCalibration.Fit(flat, 3).Kept.Mean);
        // equally near: the smaller budget
        double[][] even = [[4, 1, 1, 1, 1, 0]];
        Assert.Equal(1, ThresholdCalibration.Fit(even, 3).Kept.Mean);
    }

    [Fact]
    public void ScoresAreEachImagesStandardisedLogits()
    {
        float[] logits = [1, 2, 3, 6];
        double mean = 3, std = Math.Sqrt((4 + 1 + 0 + 9) / 4.0 + 1e-6);
        Assert.Equal(logits.Select(v => (v - mean) / std).ToArray(), ThresholdCalibration.Scores(logits));
        // a shift and a positive scale of the logits (which Soft Top-K does not see) leave the scores as they are
        var moved = ThresholdCalibration.Scores(logits.Select(v => 4 * v - 100).ToArray());
        var original = ThresholdCalibration.Scores(logits);
        for (int i = 0; i < logits.Length; i++) Assert.Equal(original[i], moved[i], 6);
        Assert.Equal([0.0, 0.0, 0.0], ThresholdCalibration.Scores([2f, 2f, 2f]));
    }

    [Fact]
    public void KeptTokenStatsAreMeanMinAndMax()
    {
        Assert.Equal(new KeptTokenStats(2.25, 1, 4, 4), KeptTokenStats.Of([3, 1, 4, 1]));
        Assert.Throws<ArgumentException>(() => KeptTokenStats.Of([]));
    }

    [Fact]
    public void BadCalibrationInputIsNamed()
    {
        Assert.Contains("no calibration images", Assert.Throws<ArgumentException>(() => ThresholdCalibration.Fit([], 2)).Message);
        Assert.Contains("1..N", Assert.Throws<ArgumentOutOfRangeException>(() => ThresholdCalibration.Fit([[1, 2, 3]], 4)).Message);
        Assert.Contains("1..N", Assert.Throws<ArgumentOutOfRangeException>(() => ThresholdCalibration.Fit([[1, 2, 3]], 0)).Message);
        Assert.Contains("--budget-mode must be topk or threshold (got 'foo')", Assert.Throws<ArgumentException>(() => BudgetModes.Parse("foo")).Message);
        Assert.Equal(BudgetMode.Threshold, BudgetModes.Parse("Threshold"));
        Assert.Equal(BudgetMode.TopK, BudgetModes.Parse("topk"));
    }
}
