using System.Xml.Linq;
using DiffPrune.Eval.Plots;

namespace DiffPrune.Tests.Eval;

public class SvgLineChartTests
{
    [Fact]
    public void WritesWellFormedSvgWithOnePolylinePerSeries()
    {
        var svg = new SvgLineChart("loss <train>", "step", "loss") { LogY = true }
            .Add("a", [(0, 10), (1, 1), (2, 0.1)])
            .Add("b", [(0, 5), (2, double.NaN), (3, -1), (4, 2)]) // NaN and (log scale) negative points are left out
            .ToSvg();
        var doc = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var lines = doc.Descendants(ns + "polyline").ToList();
        Assert.Equal(2, lines.Count);
        Assert.Equal(3, lines[0].Attribute("points")!.Value.Split(' ').Length);
        Assert.Equal(2, lines[1].Attribute("points")!.Value.Split(' ').Length);
        Assert.Contains(doc.Descendants(ns + "text"), t => t.Value == "loss <train>");
        // log scale: the three points of "a" are evenly spaced vertically
        var ys = lines[0].Attribute("points")!.Value.Split(' ').Select(p => double.Parse(p.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(ys[1] - ys[0], ys[2] - ys[1], 1);
    }

    [Fact]
    public void LogAxesAreLabelledAtRoundValues()
    {
        var svg = new SvgLineChart("t", "x", "y") { LogY = true }.Add("a", [(0, 0.03), (1, 40)]).ToSvg();
        var labels = XDocument.Parse(svg).Descendants("{http://www.w3.org/2000/svg}text").Select(t => t.Value).ToHashSet();
        Assert.Subset(labels, new HashSet<string> { "0.1", "1", "10" });
        Assert.DoesNotContain(labels, l => l.Contains("0.0398") || l == "3.981");
    }

    [Fact]
    public void AChartWithoutPointsIsAnError() =>
        Assert.Contains("no points", Assert.Throws<InvalidOperationException>(() => new SvgLineChart("t", "x", "y").Add("a", []).ToSvg()).Message);
}
