namespace DiffPrune.Reporting.Plots;

/// <summary>
/// A line chart drawn to pixels (for PNG reports): named series over a shared x axis, each solid or dashed, with its own
/// colour and marker shape (by default the next of <see cref="PlotColor.Palette"/> and <see cref="MarkerShapes.All"/>),
/// optional markers at the data points, optional error bars, ticks, grid lines, a legend to the right of the plot (never
/// over the data) showing each series' line and marker, and an optional log-scaled y axis.
/// </summary>
public sealed class RasterLineChart(string title, string xLabel, string yLabel)
{
    sealed record Series(string Name, List<(double X, double Y, double Lo, double Hi)> Points, PlotColor Color, MarkerShape Marker, bool Dashed);

    readonly List<Series> _series = [];

    /// <summary>Image width in pixels.</summary>
    public int Width { get; init; } = 860;

    /// <summary>Image height in pixels.</summary>
    public int Height { get; init; } = 480;

    /// <summary>Plot y on a log10 scale (non-positive values are left out).</summary>
    public bool LogY { get; init; }

    /// <summary>Draw a marker at every data point.</summary>
    public bool Markers { get; init; }

    /// <summary>Marker size: each fits in a (2·radius + 1)² pixel box.</summary>
    public int MarkerRadius { get; init; } = 5;

    /// <summary>
    /// Pixels between neighbouring series at the same x, so that their markers and error bars do not hide one another
    /// (the series are spread symmetrically about the true x); 0 draws every series at its x.
    /// </summary>
    public int Dodge { get; init; }

    /// <summary>A fixed y range (data units); by default the range of the data and error bars.</summary>
    public (double Lo, double Hi)? YRange { get; init; }

    /// <summary>Adds a series (non-finite points are left out); colour and marker default to the next of the palette and of the shapes.</summary>
    public RasterLineChart Add(string name, IEnumerable<(double X, double Y)> points, PlotColor? color = null, bool dashed = false, MarkerShape? marker = null) =>
        AddWithErrors(name, points.Select(p => (p.X, p.Y, double.NaN, double.NaN)), color, dashed, marker);

    /// <summary>
    /// Adds a series whose points carry an error bar from Lo to Hi (NaN for none; non-finite X or Y is left out); colour and
    /// marker default to the next of the palette and of the shapes.
    /// </summary>
    public RasterLineChart AddWithErrors(string name, IEnumerable<(double X, double Y, double Lo, double Hi)> points, PlotColor? color = null, bool dashed = false, MarkerShape? marker = null)
    {
        var kept = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!LogY || p.Y > 0))
            .Select(p => double.IsFinite(p.Lo) && double.IsFinite(p.Hi) && (!LogY || p.Lo > 0) ? p : (p.X, p.Y, double.NaN, double.NaN)).ToList();
        int i = _series.Count;
        _series.Add(new(name, kept, color ?? PlotColor.Palette[i % PlotColor.Palette.Count], marker ?? MarkerShapes.All[i % MarkerShapes.All.Count], dashed));
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
        var ys = all.Select(p => p.Y).Concat(all.Where(p => !double.IsNaN(p.Lo)).SelectMany(p => new[] { p.Lo, p.Hi }));
        var y = YRange is { } r ? (LogY ? (Math.Log10(r.Lo), Math.Log10(r.Hi)) : r) : Padded(AxisTicks.Range(ys.Select(v => LogY ? Math.Log10(v) : v)));
        int legendWidth = 14 + 30 + 8 + _series.Max(s => PlotFrame.TextWidth(s.Name)) + 8;
        int left = PlotFrame.LeftMargin(PlotFrame.YTickLabelWidth(y, LogY)), top = PlotFrame.TopMargin, width = Width - left - legendWidth - 12;
        var x = WithRoomForDodge(AxisTicks.Range(all.Select(p => p.X)), width);
        var frame = new PlotFrame(left, top, width, Height - top - PlotFrame.BottomMargin, x, y, LogY);
        var c = new RasterCanvas(Width, Height, PlotColor.White);
        frame.Draw(c, title, xLabel, yLabel, grid: true);
        for (int i = 0; i < _series.Count; i++) DrawErrorBars(c, frame, _series[i], Offset(i));
        for (int i = 0; i < _series.Count; i++) DrawSeries(c, frame, _series[i], Offset(i));
        DrawLegend(c, frame);
        return c;
    }

    /// <summary>The x range widened so that the outermost dodged series, marker and error-bar cap included, stay inside a plot <paramref name="width"/> pixels wide.</summary>
    (double Lo, double Hi) WithRoomForDodge((double Lo, double Hi) x, int width)
    {
        if (Dodge <= 0) return x;
        double pixels = Dodge * (_series.Count - 1) / 2.0 + Math.Max(MarkerRadius, 3) + 4;
        double pad = (x.Hi - x.Lo) * pixels / Math.Max(width - 2 * pixels, 1);
        return (x.Lo - pad, x.Hi + pad);
    }

    double Offset(int series) => Dodge * (series - (_series.Count - 1) / 2.0);

    static void DrawErrorBars(RasterCanvas c, PlotFrame frame, Series s, double offset)
    {
        foreach (var p in s.Points.Where(p => !double.IsNaN(p.Lo)))
        {
            double px = frame.Px(p.X) + offset, lo = frame.Py(p.Lo), hi = frame.Py(p.Hi);
            c.DrawLine(px, lo, px, hi, s.Color);
            c.DrawLine(px - 3, lo, px + 3, lo, s.Color);
            c.DrawLine(px - 3, hi, px + 3, hi, s.Color);
        }
    }

    void DrawSeries(RasterCanvas c, PlotFrame frame, Series s, double offset)
    {
        var points = s.Points;
        for (int i = 0; i + 1 < points.Count; i++)
            c.DrawLine(frame.Px(points[i].X) + offset, frame.Py(points[i].Y), frame.Px(points[i + 1].X) + offset, frame.Py(points[i + 1].Y), s.Color, 2, s.Dashed ? 6 : 0);
        if (Markers || points.Count == 1)
            foreach (var p in points) c.DrawMarker(frame.Px(p.X) + offset, frame.Py(p.Y), MarkerRadius, s.Color, s.Marker);
    }

    void DrawLegend(RasterCanvas c, PlotFrame frame)
    {
        int lx = frame.Left + frame.Width + 14;
        for (int i = 0; i < _series.Count; i++)
        {
            var s = _series[i];
            int ly = frame.Top + 4 + i * (PlotFrame.TextHeight + 10), mid = ly + PlotFrame.TextHeight / 2;
            c.DrawLine(lx, mid, lx + 30, mid, s.Color, 2, s.Dashed ? 6 : 0);
            if (Markers || s.Points.Count == 1) c.DrawMarker(lx + 15, mid, MarkerRadius, s.Color, s.Marker);
            c.DrawText(lx + 38, ly, s.Name, PlotColor.Gray(20), PlotFrame.TextScale);
        }
    }

    // 4 % of room above and below the data, so that extreme points do not sit on the frame
    static (double Lo, double Hi) Padded((double Lo, double Hi) r) => (r.Lo - 0.04 * (r.Hi - r.Lo), r.Hi + 0.04 * (r.Hi - r.Lo));

    /// <summary>Writes the chart as a PNG.</summary>
    public void SavePng(string path) => Draw().SavePng(path);
}
