namespace DiffPrune.Reporting.Plots;

/// <summary>
/// The frame of a raster chart: a plot rectangle with its data ranges, the mapping from data to pixels, and the
/// decorations around it (title, axis labels, ticks with labels, optional grid lines). Text is <see cref="BitmapFont"/> at
/// <see cref="TextScale"/>.
/// </summary>
internal sealed class PlotFrame
{
    public const int TextScale = 2;
    static readonly PlotColor GridColor = PlotColor.Gray(232), AxisColor = PlotColor.Gray(51), TextColor = PlotColor.Gray(20);

    public int Left { get; }
    public int Top { get; }
    public int Width { get; }
    public int Height { get; }
    public (double Lo, double Hi) X { get; }
    /// <summary>The y range, as log10 values when <see cref="LogY"/>.</summary>
    public (double Lo, double Hi) Y { get; }
    public bool LogY { get; }

    public PlotFrame(int left, int top, int width, int height, (double Lo, double Hi) x, (double Lo, double Hi) y, bool logY)
    {
        if (width < 10 || height < 10) throw new ArgumentException($"chart too small for its labels: the plot area would be {width}x{height} px");
        (Left, Top, Width, Height, X, Y, LogY) = (left, top, width, height, x, y, logY);
    }

    public static int TextHeight => BitmapFont.Height(TextScale);

    public static int TextWidth(string s) => BitmapFont.Width(s, TextScale);

    /// <summary>Pixel column of data x.</summary>
    public double Px(double x) => Left + (x - X.Lo) / (X.Hi - X.Lo) * (Width - 1);

    /// <summary>Pixel row of data y (log-scaled when <see cref="LogY"/>).</summary>
    public double Py(double y) => Top + Height - 1 - ((LogY ? Math.Log10(y) : y) - Y.Lo) / (Y.Hi - Y.Lo) * (Height - 1);

    /// <summary>The y tick values (data values, not exponents).</summary>
    public IEnumerable<double> YTicks() => LogY ? AxisTicks.Log(Y.Lo, Y.Hi).Select(t => Math.Pow(10, t)) : AxisTicks.Linear(Y.Lo, Y.Hi);

    /// <summary>Widest y tick label of a chart with this y range, for sizing the left margin before the frame exists.</summary>
    public static int YTickLabelWidth((double Lo, double Hi) y, bool logY) =>
        (logY ? AxisTicks.Log(y.Lo, y.Hi).Select(t => Math.Pow(10, t)) : AxisTicks.Linear(y.Lo, y.Hi)).Max(t => TextWidth(AxisTicks.Format(t)));

    /// <summary>Grid lines (optional), the frame, ticks with labels, the title above and the axis labels outside.</summary>
    public void Draw(RasterCanvas c, string title, string xLabel, string yLabel, bool grid)
    {
        int bottom = Top + Height - 1, right = Left + Width - 1;
        foreach (double t in AxisTicks.Linear(X.Lo, X.Hi))
        {
            int px = (int)Math.Round(Px(t));
            if (grid) c.DrawLine(px, Top, px, bottom, GridColor);
            c.DrawLine(px, bottom, px, bottom + 5, AxisColor);
            c.DrawText(px, bottom + 9, AxisTicks.Format(t), TextColor, TextScale, TextAlign.Center);
        }
        foreach (double t in YTicks())
        {
            int py = (int)Math.Round(Py(t));
            if (grid) c.DrawLine(Left, py, right, py, GridColor);
            c.DrawLine(Left - 5, py, Left, py, AxisColor);
            c.DrawText(Left - 9, py - TextHeight / 2, AxisTicks.Format(t), TextColor, TextScale, TextAlign.Right);
        }
        c.DrawRect(Left, Top, Width, Height, AxisColor);
        c.DrawText(Left + Width / 2, Top - TextHeight - 14, title, TextColor, TextScale, TextAlign.Center);
        c.DrawText(Left + Width / 2, bottom + 9 + TextHeight + 12, xLabel, TextColor, TextScale, TextAlign.Center);
        c.DrawTextUp(8, Top + Height / 2, yLabel + (LogY ? " (log)" : ""), TextColor, TextScale);
    }

    /// <summary>Left margin that fits the y label and tick labels of width <paramref name="tickLabelWidth"/>.</summary>
    public static int LeftMargin(int tickLabelWidth) => 8 + TextHeight + 12 + tickLabelWidth + 9;

    /// <summary>Top margin that fits the title.</summary>
    public static int TopMargin => TextHeight + 14 + 12;

    /// <summary>Bottom margin that fits the x tick labels and the x label.</summary>
    public static int BottomMargin => 9 + TextHeight + 12 + TextHeight + 10;
}
