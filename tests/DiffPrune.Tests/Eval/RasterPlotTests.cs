using DiffPrune.Data.Images;
using DiffPrune.Reporting.Plots;

namespace DiffPrune.Tests.Eval;

public class RasterPlotTests
{
    static readonly PlotColor Red = new(200, 10, 20);

    static int CountPixels(RasterCanvas c, PlotColor color, int x0 = 0, int y0 = 0, int x1 = int.MaxValue, int y1 = int.MaxValue)
    {
        int n = 0;
        for (int y = y0; y < Math.Min(y1, c.Height); y++)
            for (int x = x0; x < Math.Min(x1, c.Width); x++)
                if (c.GetPixel(x, y) == color) n++;
        return n;
    }

    [Fact]
    public void RectanglesAndLinesSetTheExpectedPixelsAndClipAtTheEdges()
    {
        var c = new RasterCanvas(20, 10, PlotColor.White);
        c.FillRect(-3, 2, 6, 3, Red);                       // clipped to x 0..2, y 2..4
        Assert.Equal(9, CountPixels(c, Red));
        Assert.Equal(Red, c.GetPixel(2, 4));
        Assert.Equal(PlotColor.White, c.GetPixel(3, 4));
        var d = new RasterCanvas(20, 10, PlotColor.White);
        d.DrawLine(1, 1, 8, 8, Red);                         // a diagonal: one pixel per step, both end points
        Assert.Equal(8, CountPixels(d, Red));
        Assert.All(Enumerable.Range(1, 8), i => Assert.Equal(Red, d.GetPixel(i, i)));
        d.DrawLine(0, 9, 50, 9, PlotColor.Black, thickness: 1, dash: 2); // dashed, clipped: pixels 0-1 on, 2-3 off, ...
        Assert.Equal(PlotColor.Black, d.GetPixel(1, 9));
        Assert.Equal(PlotColor.White, d.GetPixel(2, 9));
        Assert.Equal(PlotColor.Black, d.GetPixel(4, 9));
        var thick = new RasterCanvas(20, 10, PlotColor.White);
        thick.DrawLine(5, 5, 10, 5, Red, thickness: 3);
        Assert.Equal(8 * 3, CountPixels(thick, Red));         // a 3×3 square brush: square caps reach one pixel past each end
    }

    [Fact]
    public void TextDrawsItsGlyphsInsideItsBoxAndRotatedTextReadsUpwards()
    {
        var c = new RasterCanvas(40, 20, PlotColor.White);
        c.DrawText(2, 3, "T", Red, scale: 2);
        // 'T' at scale 2: the top bar spans 10 px at rows 3-4, the stem 2 px wide down the middle to row 16
        Assert.Equal(10, Enumerable.Range(2, 12).Count(x => c.GetPixel(x, 3) == Red));
        Assert.Equal(Red, c.GetPixel(6, 16));
        Assert.Equal(PlotColor.White, c.GetPixel(6, 17));
        Assert.Equal(CountPixels(c, Red), CountPixels(c, Red, 2, 3, 12, 17));
        c.DrawText(38, 3, "ab", PlotColor.Black, align: TextAlign.Right);
        Assert.Equal(CountPixels(c, PlotColor.Black), CountPixels(c, PlotColor.Black, 38 - BitmapFont.Width("ab"), 3, 39, 10));
        var up = new RasterCanvas(20, 30, PlotColor.White);
        up.DrawTextUp(5, 15, "L", Red);
        // 'L' rotated a quarter turn counter-clockwise: the glyph's left column (its stem, 7 px) becomes the bottom row
        int bottom = 15 + BitmapFont.Width("L") / 2;
        Assert.Equal(7, Enumerable.Range(5, 7).Count(x => up.GetPixel(x, bottom - 1) == Red));
    }

    [Fact]
    public void EveryPrintableCharacterHasAGlyphAndUnknownOnesShowABox()
    {
        for (char ch = '!'; ch <= '~'; ch++)
        {
            int set = 0;
            BitmapFont.Rasterize(ch.ToString(), (_, _) => set++);
            Assert.True(set > 0, $"'{ch}' draws nothing");
            Assert.True(BitmapFont.HasGlyph(ch));
        }
        int box = 0;
        BitmapFont.Rasterize("é", (_, _) => box++);
        Assert.Equal(7 + 3 * 2 + 7, box);                    // a hollow 5×7 box: two full columns, three with top and bottom only
        Assert.False(BitmapFont.HasGlyph('é'));
        Assert.True(BitmapFont.HasGlyph('τ'));
        Assert.Equal(2 * (3 * 6 - 1), BitmapFont.Width("abc", 2));
    }

    [Fact]
    public void APngRoundTripThroughTheDecoderGivesBackEveryPixel()
    {
        using var dir = new Data.TempDirectory();
        var c = new RasterCanvas(33, 17, PlotColor.Gray(240));
        c.DrawLine(0, 0, 32, 16, Red, 2);
        c.DrawText(3, 5, "x=1", PlotColor.Black);
        string path = dir.File("c.png");
        c.SavePng(path);
        var decoded = PngDecoder.Decode(path);
        Assert.Equal(c.ToImage().Rgb, decoded.Rgb);
        Assert.Equal((33, 17), (decoded.Width, decoded.Height));
    }

    [Fact]
    public void ContoursOfARampAreStraightLinesAtTheLevel()
    {
        double[] xs = [0, 1, 2, 3, 4], ys = [0, 0.5, 1];
        var v = xs.Select(x => (IReadOnlyList<double>)ys.Select(_ => 2 * x).ToArray()).ToArray();   // v = 2x
        var segments = Contours.Segments(xs, ys, v, 3.0);
        Assert.Equal(2, segments.Count);                    // one per cell row along y, in the cell x ∈ [1, 2]
        Assert.All(segments, s => { Assert.Equal(1.5, s.X0, 12); Assert.Equal(1.5, s.X1, 12); });
        Assert.Empty(Contours.Segments(xs, ys, v, 100));
        // a saddle cell gives two segments; the pairing follows the cell's mean
        var saddle = new IReadOnlyList<double>[] { new double[] { 1, 0 }, new double[] { 0, 1 } };
        Assert.Equal(2, Contours.Segments([0.0, 1.0], [0.0, 1.0], saddle, 0.5).Count);
        Assert.Throws<ArgumentException>(() => Contours.Segments([0.0], ys, v, 1));
    }

    [Fact]
    public void ALineChartDrawsEachSeriesWhereItsDataIsAndLabelsItInTheLegend()
    {
        var chart = new RasterLineChart("t", "x", "y") { Width = 400, Height = 300, YRange = (0, 10) }
            .Add("flat", [(0, 5), (10, 5)], Red)
            .Add("other", [(0, 1), (10, 9)], PlotColor.Black);
        var c = chart.Draw();
        // the flat series is one horizontal run of red two pixels thick, at y = 5 (mid-plot); the legend adds a short sample
        var redRows = Enumerable.Range(0, c.Height).Where(y => Enumerable.Range(0, c.Width).Count(x => c.GetPixel(x, y) == Red) > 100).ToArray();
        Assert.InRange(redRows.Length, 1, 2);
        int top = Enumerable.Range(0, c.Height).First(y => c.GetPixel(c.Width / 3, y) == PlotColor.Gray(51));   // plot frame's top edge
        int bottom = Enumerable.Range(0, c.Height).Last(y => c.GetPixel(c.Width / 3, y) == PlotColor.Gray(51));
        Assert.InRange(redRows[0], (top + bottom) / 2 - 2, (top + bottom) / 2 + 1);
        Assert.Contains(Enumerable.Range(0, c.Height), y => Enumerable.Range(c.Width - 120, 120).Any(x => c.GetPixel(x, y) == Red));
        Assert.Contains("no points", Assert.Throws<InvalidOperationException>(() => new RasterLineChart("t", "x", "y").Add("a", []).Draw()).Message);
    }

    [Fact]
    public void AHeatMapColoursEachPixelByTheInterpolatedValueAndDrawsContours()
    {
        double[] xs = [-1, 0, 1];
        var v = xs.Select(x => (IReadOnlyList<double>)xs.Select(y => x + y).ToArray()).ToArray();    // v = x + y on [−1, 1]², range [−2, 2]
        var c = new RasterHeatMap("h", "d1", "d2", "loss") { PlotSize = 100, ContourLevels = 3 }.Grid(xs, xs, v).Draw();
        int left = PlotFrame.LeftMargin(PlotFrame.YTickLabelWidth((-1, 1), false)), top = PlotFrame.TopMargin;
        foreach (var (px, py) in new[] { (60, 30), (20, 80), (85, 12) })
        {
            double x = -1 + 2.0 * px / 99, y = 1 - 2.0 * py / 99;                                  // pixel rows grow downwards
            Assert.Equal(Colormap.Viridis((x + y + 2) / 4), c.GetPixel(left + px, top + py));
        }
        // contours at v = −1, 0, 1: the anti-diagonal v = 0 passes through the plot's centre
        Assert.Contains(Enumerable.Range(-1, 3), d => c.GetPixel(left + 49 + d, top + 49) == PlotColor.Black);
        Assert.Equal(Colormap.Viridis(1 - 1.0 / 99), c.GetPixel(left + 100 + 24 + 5, top + 1));   // colour bar: high at the top
        Assert.Throws<ArgumentException>(() => new RasterHeatMap("h", "x", "y", "v").Grid([1.0, 0.0], xs, v));
        Assert.Contains("no finite values", Assert.Throws<InvalidOperationException>(() => new RasterHeatMap("h", "x", "y", "v").Draw()).Message);
    }

    [Fact]
    public void TicksAreRoundAndZeroIsExactlyZero()
    {
        Assert.Equal([-1.0, -0.5, 0.0, 0.5, 1.0], AxisTicks.Linear(-1, 1).ToArray());
        Assert.Contains(0.0, AxisTicks.Linear(-0.3, 0.3));
        Assert.Equal("0.25", AxisTicks.Format(0.25));
        Assert.Equal("#1f77b4", PlotColor.Palette[0].ToHex());
        Assert.Throws<FormatException>(() => PlotColor.Parse("blue"));
    }

    [Fact]
    public void ALogChartOfValuesBetweenTwoTicksStillDraws()
    {
        // losses 0.055–0.09 hold no 1-2-5 tick: the end of a 400-step pretraining run drew such a chart
        Assert.NotEmpty(AxisTicks.Log(Math.Log10(0.055), Math.Log10(0.09)));
        var chart = new RasterLineChart("loss", "step", "loss") { LogY = true }.Add("run", [(0, 0.09), (1, 0.07), (2, 0.055)], Red);
        Assert.True(CountPixels(chart.Draw(), Red) > 0);
    }

    static bool[,] Mask(MarkerShape shape, int radius)
    {
        var c = new RasterCanvas(2 * radius + 1, 2 * radius + 1, PlotColor.White);
        c.DrawMarker(radius, radius, radius, Red, shape);
        var mask = new bool[2 * radius + 1, 2 * radius + 1];
        for (int y = 0; y < c.Height; y++)
            for (int x = 0; x < c.Width; x++) mask[y, x] = c.GetPixel(x, y) == Red;
        return mask;
    }

    [Fact]
    public void MarkerShapesCoverTheirOwnPixelsAndDifferFromOneAnother()
    {
        const int r = 5;
        var masks = MarkerShapes.All.ToDictionary(s => s, s => Mask(s, r));
        int Count(MarkerShape s, Func<int, int, bool> where) =>
            Enumerable.Range(0, 2 * r + 1).Sum(y => Enumerable.Range(0, 2 * r + 1).Count(x => masks[s][y, x] && where(x - r, y - r)));
        // every pair of shapes differs in some pixel
        foreach (var a in MarkerShapes.All)
            foreach (var b in MarkerShapes.All.Where(b => b > a))
                Assert.True(Count(a, (dx, dy) => !masks[b][dy + r, dx + r]) + Count(b, (dx, dy) => !masks[a][dy + r, dx + r]) > 0, $"{a} and {b} look the same");
        // filled shapes cover their centre, outlines leave it empty
        foreach (var s in new[] { MarkerShape.Circle, MarkerShape.Square, MarkerShape.TriangleUp, MarkerShape.Diamond, MarkerShape.TriangleDown, MarkerShape.Cross, MarkerShape.Plus })
            Assert.True(masks[s][r, r], $"{s} misses its centre");
        Assert.False(masks[MarkerShape.Ring][r, r]);
        Assert.False(masks[MarkerShape.HollowSquare][r, r]);
        // a triangle up is wide at the bottom, one down at the top; × reaches the corners, + the edge midpoints
        Assert.True(Count(MarkerShape.TriangleUp, (_, dy) => dy > 0) > 2 * Count(MarkerShape.TriangleUp, (_, dy) => dy < 0));
        Assert.True(Count(MarkerShape.TriangleDown, (_, dy) => dy < 0) > 2 * Count(MarkerShape.TriangleDown, (_, dy) => dy > 0));
        Assert.True(masks[MarkerShape.Cross][0, 0] && masks[MarkerShape.Cross][2 * r, 2 * r] && !masks[MarkerShape.Cross][0, r]);
        Assert.True(masks[MarkerShape.Plus][0, r] && masks[MarkerShape.Plus][r, 0] && !masks[MarkerShape.Plus][0, 0]);
        // the diamond is the |dx| + |dy| ≤ r ball: 2r² + 2r + 1 pixels
        Assert.Equal(2 * r * r + 2 * r + 1, Count(MarkerShape.Diamond, (_, _) => true));
        Assert.Equal(MarkerShapes.All.Count, Enum.GetValues<MarkerShape>().Length);
    }

    [Fact]
    public void SeriesGetTheirOwnColourAndMarkerAndTheLegendShowsBoth()
    {
        var chart = new RasterLineChart("t", "K", "%") { Markers = true, Width = 500, Height = 560 };
        for (int i = 0; i < 12; i++) chart.Add($"m{i}", [(16, i), (32, i + 1)]);
        var c = chart.Draw();
        // twelve series, twelve distinct colours, each seen in the plot and in the legend (right of the plot)
        Assert.Equal(12, PlotColor.Palette.Distinct().Count());
        int legend = c.Width - 100;
        foreach (var color in PlotColor.Palette)
        {
            Assert.True(CountPixels(c, color, 0, 0, legend) > 0, $"{color.ToHex()} not in the plot");
            Assert.True(CountPixels(c, color, legend) > 0, $"{color.ToHex()} not in the legend");
        }
        // the legend sample of the third series is a triangle: wider at its bottom row than at its top
        var green = PlotColor.Palette[2];
        var rows = Enumerable.Range(0, c.Height).Select(y => Enumerable.Range(legend - 40, 140).Count(x => c.GetPixel(x, y) == green)).ToArray();
        var marked = Enumerable.Range(0, c.Height).Where(y => rows[y] > 0).ToArray();
        Assert.True(rows[marked[^1]] > rows[marked[0]], string.Join(",", marked.Select(y => rows[y])));
    }

    [Fact]
    public void ErrorBarsSpanTheirIntervalAndWidenTheYRange()
    {
        var chart = new RasterLineChart("t", "x", "y") { Width = 400, Height = 300 }
            .AddWithErrors("a", [(0, 5, double.NaN, double.NaN), (5, 5, 1, 9), (10, 5, double.NaN, double.NaN)], Red);
        var c = chart.Draw();
        int top = Enumerable.Range(0, c.Height).First(y => c.GetPixel(c.Width / 3, y) == PlotColor.Gray(51));
        int bottom = Enumerable.Range(0, c.Height).Last(y => c.GetPixel(c.Width / 3, y) == PlotColor.Gray(51));
        // one column holds a long red run: the bar at x = 5 from y = 1 to y = 9, which the 4 % padding puts just inside
        // the frame; the points without an interval have none (the line adds two red pixels per column)
        var redPerColumn = Enumerable.Range(0, c.Width).Select(x => Enumerable.Range(top, bottom - top).Count(y => c.GetPixel(x, y) == Red)).ToArray();
        Assert.Single(redPerColumn, n => n > 10);
        Assert.InRange(redPerColumn.Max(), 0.85 * (bottom - top), bottom - top);
    }
}
