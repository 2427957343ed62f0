using DiffPrune.Eval.Reports;
using DiffPrune.Eval.Statistics;

namespace DiffPrune.Tests.Eval;

public class IntervalTextTests
{
    [Fact]
    public void ADifferenceReadsWithItsIntervalAndVerdict() =>
        Assert.Equal("-1.2 [-2.5, +0.3] tie", IntervalText.Difference(new PairedDifference("DiffPrune", -0.012, new ConfidenceInterval(-0.025, 0.003))));

    [Fact]
    public void ABoundThatOneDecimalWouldRoundToZeroKeepsItsSign()
    {
        // the interval excludes 0: "[-1.2, 0.0] lower" would read as touching it
        var lower = new PairedDifference("DiffPrune", -0.006, new ConfidenceInterval(-0.012, -0.0004));
        Assert.Equal(ComparisonVerdict.Lower, lower.Verdict);
        Assert.Equal("-0.6 [-1.2, -0.04] lower", IntervalText.Difference(lower));
        Assert.Equal("+0.4 [+0.03, +0.8]", IntervalText.Named("", new PairedDifference("DiffPrune", 0.004, new ConfidenceInterval(0.0003, 0.008))).Trim());
        Assert.Equal("0.0", IntervalText.Bound(0));
    }
}
