using DiffPrune.Eval;
using DiffPrune.Eval.Reports;
using DiffPrune.Pruning.Baselines;

namespace DiffPrune.Tests.Eval;

public class MethodStylesTests
{
    [Fact]
    public void NoTwoMethodsShareAColourAndAMarker()
    {
        string[] methods = [MethodSelection.DiffPruneName, .. PruningMethods.Names];
        var styles = methods.Select(m => MethodStyles.Of(m)).ToArray();
        Assert.Equal(methods.Length, styles.Distinct().Count());
        // the methods that retention.png draws (every one but Vanilla) each have their own colour and their own marker
        var drawn = methods.Where(m => m != "Vanilla").Select(m => MethodStyles.Of(m)).ToArray();
        Assert.Equal(drawn.Length, drawn.Select(s => s.Color).Distinct().Count());
        Assert.Equal(drawn.Length, drawn.Select(s => s.Marker).Distinct().Count());
        Assert.NotEqual(MethodStyles.Of("DiffPrune").Color, MethodStyles.Of("VisionZip").Color);
        Assert.Equal(MethodStyles.Of("visionzip"), MethodStyles.Of("VisionZip"));
    }

    [Theory]
    [InlineData("DiffPrune", "DiffPrune")]
    [InlineData("DiffPrune (trained K = 16)", "DiffPrune")]
    [InlineData("DiffPrune (gumbel)", "DiffPrune (gumbel)")]
    [InlineData("DiffPrune (gumbel, trained K = 16)", "DiffPrune (gumbel)")]
    [InlineData("DiffPrune (threshold, trained K = 8)", "DiffPrune (threshold)")]
    [InlineData("FastV", "FastV")]
    public void EachVariantAndThresholdRowIsASeriesOfItsOwnAcrossBudgets(string label, string series) =>
        Assert.Equal(series, RetentionChart.BaseName(label));

    [Fact]
    public void AVariantSeriesTakesAColourNoOtherSeriesOfItsChartHas()
    {
        string[] names = ["DivPrune", "DiffPrune", "DiffPrune (gumbel)", "DiffPrune (scalegate)", "DiffPrune (threshold)"];
        var styles = RetentionChart.Styles(names);
        Assert.Equal(MethodStyles.Of("DiffPrune"), styles["DiffPrune"]);
        Assert.Equal(names.Length, names.Select(n => styles[n].Color).Distinct().Count());
    }

    [Fact]
    public void OtherNamesTakeStylesAfterTheKnownOnes()
    {
        var known = MethodStyles.Known.Select(m => MethodStyles.Of(m)).ToHashSet();
        var extra = Enumerable.Range(0, 100).Select(i => MethodStyles.Of("Variant", i)).ToArray();
        Assert.Equal(extra.Length, extra.Distinct().Count());
        Assert.DoesNotContain(extra, known.Contains);
    }
}
