namespace DiffPrune.Reporting.Plots;

/// <summary>
/// A heat map with contour lines, drawn to pixels: a function sampled on a rectilinear grid is shown in
/// <see cref="Colormap.Viridis"/> (bilinearly interpolated between samples), with black iso-lines at evenly spaced
/// levels (<see cref="Contours"/>) and a colour bar. Several maps can share a colour scale through <see cref="ValueRange"/>.
/// </summary>
public sealed class RasterHeatMap(string title, string xLabel, string yLabel, string valueLabel)
{
    IReadOnlyList<double> _xs = [], _ys = [];
    IReadOnlyList<IReadOnlyList<double>> _values = [];

    /// <summary>Side of the square plot area in pixels.</summary>
    public int PlotSize { get; init; } = 420;

    /// <summary>Number of contour levels drawn (evenly spaced strictly inside the value range).</summary>
    public int ContourLevels { get; init; } = 12;

    /// <summary>The values mapped to the ends of the colour scale; by default the data's range.</summary>
    public (double Lo, double Hi)? ValueRange { get; init; }

    /// <summary>Sets the samples: <paramref name="values"/>[i][j] is the value at (<paramref name="xs"/>[i], <paramref name="ys"/>[j]); coordinates ascend.</summary>
    /// <exception cref="ArgumentException">Fewer than two coordinates per axis, coordinates that do not ascend, or values of another shape.</exception>
    public RasterHeatMap Grid(IReadOnlyList<double> xs, IReadOnlyList<double> ys, IReadOnlyList<IReadOnlyList<double>> values)
    {
        bool Ascending(IReadOnlyList<double> a) => a.Zip(a.Skip(1)).All(p => p.Second > p.First);
        if (xs.Count < 2 || ys.Count < 2 || !Ascending(xs) || !Ascending(ys) || values.Count != xs.Count || values.Any(col => col.Count != ys.Count))
            throw new ArgumentException($"heat map '{title}' needs ascending coordinates (at least 2 per axis) and values shaped [{xs.Count}][{ys.Count}]");
        (_xs, _ys, _values) = (xs, ys, values);
        return this;
    }

    /// <summary>The chart as an image.</summary>
    /// <exception cref="InvalidOperationException">No grid was set, or it holds no finite value.</exception>
    public RasterCanvas Draw()
    {
        var finite = _values.SelectMany(col => col).Where(double.IsFinite).ToList();
        if (_xs.Count == 0 || finite.Count == 0) throw new InvalidOperationException($"heat map '{title}' has no finite values to draw");
        var (lo, hi) = ValueRange ?? AxisTicks.Range(finite);
        var x = (_xs[0], _xs[^1]);
        var y = (_ys[0], _ys[^1]);
        int left = PlotFrame.LeftMargin(PlotFrame.YTickLabelWidth(y, false)), top = PlotFrame.TopMargin;
        var frame = new PlotFrame(left, top, PlotSize, PlotSize, x, y, false);
        int barLeft = left + PlotSize + 24, barWidth = 18;
        int width = barLeft + barWidth + 10 + AxisTicks.Linear(lo, hi).Max(t => PlotFrame.TextWidth(AxisTicks.Format(t))) + 12;
        var c = new RasterCanvas(Math.Max(width, left + PlotSize + 20), top + PlotSize + PlotFrame.BottomMargin, PlotColor.White);
        for (int py = 0; py < PlotSize; py++)
            for (int px = 0; px < PlotSize; px++)
            {
                double dx = x.Item1 + (x.Item2 - x.Item1) * px / (PlotSize - 1), dy = y.Item2 - (y.Item2 - y.Item1) * py / (PlotSize - 1);
                c.SetPixel(left + px, top + py, Colormap.Viridis((Interpolate(dx, dy) - lo) / (hi - lo)));
            }
        for (int l = 1; l <= ContourLevels; l++)
        {
            double level = lo + (hi - lo) * l / (ContourLevels + 1);
            foreach (var s in Contours.Segments(_xs, _ys, _values, level))
                c.DrawLine(frame.Px(s.X0), frame.Py(s.Y0), frame.Px(s.X1), frame.Py(s.Y1), PlotColor.Black);
        }
        frame.Draw(c, title, xLabel, yLabel, grid: false);
        // colour bar: value increases upwards, with the contour levels' range labelled
        for (int py = 0; py < PlotSize; py++)
            c.FillRect(barLeft, top + py, barWidth, 1, Colormap.Viridis(1 - (double)py / (PlotSize - 1)));
        c.DrawRect(barLeft, top, barWidth, PlotSize, PlotColor.Gray(51));
        foreach (double t in AxisTicks.Linear(lo, hi))
        {
            int py = top + (int)Math.Round((hi - t) / (hi - lo) * (PlotSize - 1));
            c.DrawLine(barLeft + barWidth, py, barLeft + barWidth + 4, py, PlotColor.Gray(51));
            c.DrawText(barLeft + barWidth + 8, py - PlotFrame.TextHeight / 2, AxisTicks.Format(t), PlotColor.Gray(20), PlotFrame.TextScale);
        }
        c.DrawText(barLeft, top + PlotSize + 9, valueLabel, PlotColor.Gray(20), PlotFrame.TextScale);
        return c;
    }

    /// <summary>Writes the chart as a PNG.</summary>
    public void SavePng(string path) => Draw().SavePng(path);

    // bilinear interpolation of the samples at data point (x, y)
    double Interpolate(double x, double y)
    {
        int i = Cell(_xs, x), j = Cell(_ys, y);
        double tx = (x - _xs[i]) / (_xs[i + 1] - _xs[i]), ty = (y - _ys[j]) / (_ys[j + 1] - _ys[j]);
        double bottom = _values[i][j] + tx * (_values[i + 1][j] - _values[i][j]);
        double upper = _values[i][j + 1] + tx * (_values[i + 1][j + 1] - _values[i][j + 1]);
        return bottom + ty * (upper - bottom);
    }

    static int Cell(IReadOnlyList<double> coords, double v)
    {
        int i = 0;
        while (i < coords.Count - 2 && v > coords[i + 1]) i++;
        return i;
    }
}
