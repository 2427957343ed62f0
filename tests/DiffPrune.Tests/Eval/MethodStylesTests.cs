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

    [Fact]
    public void OtherNamesTakeStylesAfterTheKnownOnes()
    {
        var known = MethodStyles.Known.Select(m => MethodStyles.Of(m)).ToHashSet();
        var extra = Enumerable.Range(0, 100).Select(i => MethodStyles.Of("Variant", i)).ToArray();
        Assert.Equal(extra.Length, extra.Distinct().Count());
        Assert.DoesNotContain(extra, known.Contains);
    }
}
