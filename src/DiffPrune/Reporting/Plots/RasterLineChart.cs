namespace DiffPrune.Reporting.Plots;

/// <summary>
/// A line chart drawn to pixels (for PNG reports): named series over a shared x axis, each solid or dashed, with optional
/// square markers at the data points, ticks, grid lines, a legend to the right of the plot (never over the data) and an
/// optional log-scaled y axis.
/// </summary>
public sealed class RasterLineChart(string title, string xLabel, string yLabel)
{
    readonly List<(string Name, List<(double X, double Y)> Points, PlotColor Color, bool Dashed)> _series = [];

    /// <summary>Image width in pixels.</summary>
    public int Width { get; init; } = 860;

    /// <summary>Image height in pixels.</summary>
    public int Height { get; init; } = 480;

    /// <summary>Plot y on a log10 scale (non-positive values are left out).</summary>
    public bool LogY { get; init; }

    /// <summary>Draw a marker at every data point.</summary>
    public bool Markers { get; init; }

    /// <summary>A fixed y range (data units); by default the range of the data.</summary>
    public (double Lo, double Hi)? YRange { get; init; }

    /// <summary>Adds a series (non-finite points are left out); its colour defaults to the next of <see cref="PlotColor.Palette"/>.</summary>
    public RasterLineChart Add(string name, IEnumerable<(double X, double Y)> points, PlotColor? color = null, bool dashed = false)
    {
        var kept = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!LogY || p.Y > 0)).ToList();
        _series.Add((name, kept, color ?? PlotColor.Palette[_series.Count % PlotColor.Palette.Count], dashed));
        return this;
    }

    /// <summary>True when no series has a finite point, so there is nothing to draw.</summary>
    public bool IsEmpty => _series.All(s => s.Points.Count == 0);

    /// <summary>The chart as an image.</summary>
    /// <exception cref="InvalidOperationException">No series has a point.</exception>
    public RasterCanvas Draw()
    {
        var all = _series.SelectMany(s => s.Points).ToList();
        if (all.Count == 0) throw new InvalidOperationException($"chart '{title}' has no points to draw");
        var x = AxisTicks.Range(all.Select(p => p.X));
        var y = YRange is { } r ? (LogY ? (Math.Log10(r.Lo), Math.Log10(r.Hi)) : r) : Padded(AxisTicks.Range(all.Select(p => LogY ? Math.Log10(p.Y) : p.Y)));
        int legendWidth = 14 + 30 + 8 + _series.Max(s => PlotFrame.TextWidth(s.Name)) + 8;
        int left = PlotFrame.LeftMargin(PlotFrame.YTickLabelWidth(y, LogY)), top = PlotFrame.TopMargin;
        var frame = new PlotFrame(left, top, Width - left - legendWidth - 12, Height - top - PlotFrame.BottomMargin, x, y, LogY);
        var c = new RasterCanvas(Width, Height, PlotColor.White);
        frame.Draw(c, title, xLabel, yLabel, grid: true);
        foreach (var (_, points, color, dashed) in _series)
        {
            for (int i = 0; i + 1 < points.Count; i++)
                c.DrawLine(frame.Px(points[i].X), frame.Py(points[i].Y), frame.Px(points[i + 1].X), frame.Py(points[i + 1].Y), color, 2, dashed ? 6 : 0);
            if (Markers || points.Count == 1)
                foreach (var p in points) c.DrawMarker(frame.Px(p.X), frame.Py(p.Y), 3, color);
        }
        int lx = frame.Left + frame.Width + 14;
        for (int i = 0; i < _series.Count; i++)
        {
            var (name, _, color, dashed) = _series[i];
            int ly = frame.Top + 4 + i * (PlotFrame.TextHeight + 10);
            c.DrawLine(lx, ly + PlotFrame.TextHeight / 2, lx + 30, ly + PlotFrame.TextHeight / 2, color, 2, dashed ? 6 : 0);
            if (Markers) c.DrawMarker(lx + 15, ly + PlotFrame.TextHeight / 2, 3, color);
            c.DrawText(lx + 38, ly, name, PlotColor.Gray(20), PlotFrame.TextScale);
        }
        return c;
    }

    // 4 % of room above and below the data, so that extreme points do not sit on the frame
    static (double Lo, double Hi) Padded((double Lo, double Hi) r) => (r.Lo - 0.04 * (r.Hi - r.Lo), r.Hi + 0.04 * (r.Hi - r.Lo));

    /// <summary>Writes the chart as a PNG.</summary>
    public void SavePng(string path) => Draw().SavePng(path);
}
