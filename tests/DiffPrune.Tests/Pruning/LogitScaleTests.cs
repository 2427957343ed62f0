using DiffPrune.Pruning;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Pruning;

public class LogitScaleTests
{
    static Tensor Logits(ulong seed, int rows, int n, float scale, float shift) =>
        Tensor.Randn(new Generator(seed), [rows, n]).Mul(scale).Add(shift);

    [Fact]
    public void StandardizedLogitsHaveZeroMeanAndUnitSpreadPerImage()
    {
        var s = LogitScale.Standardized.Apply(Logits(1, 3, 50, 7f, -2f));
        for (int r = 0; r < 3; r++)
        {
            var row = s.Data.Slice(r * 50, 50).ToArray();
            double mean = row.Average();
            Assert.Equal(0, mean, 5);
            Assert.Equal(1, Math.Sqrt(row.Select(v => (v - mean) * (v - mean)).Average()), 4);
        }
    }

    [Fact]
    public void ShrinkingTheLogitsCannotSoftenStandardizedAlphaButSoftensRawAlpha()
    {
        // the failure mode the standardised scale removes: a scorer that divides its logits by 10 raises the
        // effective temperature tenfold under Raw, and changes nothing under Standardized
        var logits = Logits(2, 2, 144, 1f, 0f);
        var shrunk = logits.Mul(0.1f);
        double Inside(LogitScale scale, Tensor s) => AlphaStats.Of(SoftTopK.Forward(scale.Apply(s), 16, 0.1), 16).MeanInsideTopK;
        Assert.Equal(Inside(LogitScale.Standardized, logits), Inside(LogitScale.Standardized, shrunk), 4);
        Assert.True(Inside(LogitScale.Raw, shrunk) < Inside(LogitScale.Raw, logits) - 0.1,
            $"raw: {Inside(LogitScale.Raw, shrunk):F3} vs {Inside(LogitScale.Raw, logits):F3}");
    }

    [Fact]
    public void StandardizingKeepsEachImagesRanking()
    {
        var logits = Logits(3, 4, 30, 3f, 1f);
        var s = LogitScale.Standardized.Apply(logits);
        for (int r = 0; r < 4; r++)
        {
            var raw = logits.Data.Slice(r * 30, 30).ToArray();
            var scaled = s.Data.Slice(r * 30, 30).ToArray();
            Assert.Equal(Enumerable.Range(0, 30).OrderBy(i => raw[i]), Enumerable.Range(0, 30).OrderBy(i => scaled[i]));
        }
    }

    [Fact]
    public void StandardizedGradientMatchesFiniteDifferences()
    {
        var logits = Logits(4, 2, 12, 2f, 0.5f);
        var weights = Tensor.Randn(new Generator(5), [2, 12]);
        logits.RequiresGrad = true;
        double Loss() { using var _ = Autograd.NoGrad(); return LogitScale.Standardized.Apply(logits).Mul(weights).Sum().Item(); }
        var loss = LogitScale.Standardized.Apply(logits).Mul(weights).Sum();
        loss.Backward();
        int checkedEntries = GradCheck.CheckEntries(logits, logits.Grad!.ToArray(), Loss);
        Assert.Equal(24, checkedEntries);
    }

    [Fact]
    public void SpreadIsTheMeanPerImageStandardDeviation()
    {
        var logits = Tensor.FromArray([1f, 3f, 1f, 3f, 0f, 0f, 0f, 4f], 2, 4);
        // row 0: std 1; row 1: mean 1, deviations (−1, −1, −1, 3) → √3
        Assert.Equal((1 + Math.Sqrt(3)) / 2, LogitScales.Spread(logits), 6);
    }
}
