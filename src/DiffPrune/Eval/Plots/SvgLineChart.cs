using System.Globalization;
using System.Net;
using System.Text;

namespace DiffPrune.Eval.Plots;

/// <summary>
/// A small line chart written as standalone SVG: one or more named series over a shared x axis, with axes, ticks,
/// a legend and optional log-scaled y. Enough for training curves and budget sweeps without a plotting library.
/// </summary>
public sealed class SvgLineChart(string title, string xLabel, string yLabel)
{
    readonly List<(string Name, IReadOnlyList<(double X, double Y)> Points)> _series = [];

    /// <summary>Plot y on a log10 scale (non-positive values are left out).</summary>
    public bool LogY { get; init; }

    /// <summary>Chart width in pixels.</summary>
    public int Width { get; init; } = 720;

    /// <summary>Chart height in pixels.</summary>
    public int Height { get; init; } = 400;

    /// <summary>Adds a series (non-finite points are left out).</summary>
    public SvgLineChart Add(string name, IEnumerable<(double X, double Y)> points)
    {
        var kept = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!LogY || p.Y > 0)).ToList();
        _series.Add((name, kept));
        return this;
    }

    /// <summary>The SVG document.</summary>
    /// <exception cref="InvalidOperationException">No series has a point.</exception>
    public string ToSvg()
    {
        var all = _series.SelectMany(s => s.Points).ToList();
        if (all.Count == 0) throw new InvalidOperationException($"chart '{title}' has no points to draw");
        double Ty(double y) => LogY ? Math.Log10(y) : y;
        var (x0, x1) = AxisTicks.Range(all.Select(p => p.X));
        var (y0, y1) = AxisTicks.Range(all.Select(p => Ty(p.Y)));
        const int left = 70, right = 20, top = 40, bottom = 50;
        double pw = Width - left - right, ph = Height - top - bottom;
        double Px(double x) => left + (x - x0) / (x1 - x0) * pw;
        double Py(double y) => top + ph - (Ty(y) - y0) / (y1 - y0) * ph;
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append(inv, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
        sb.Append(inv, $"<text x=\"{Width / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{Escape(title)}</text>\n");
        foreach (double t in AxisTicks.Linear(x0, x1))
            sb.Append(inv, $"<line x1=\"{Px(t):F1}\" y1=\"{top}\" x2=\"{Px(t):F1}\" y2=\"{top + ph}\" stroke=\"#eee\"/><text x=\"{Px(t):F1}\" y=\"{top + ph + 16}\" text-anchor=\"middle\">{AxisTicks.Format(t)}</text>\n");
        foreach (double t in LogY ? AxisTicks.Log(y0, y1) : AxisTicks.Linear(y0, y1))
        {
            double py = top + ph - (t - y0) / (y1 - y0) * ph;
            sb.Append(inv, $"<line x1=\"{left}\" y1=\"{py:F1}\" x2=\"{left + pw}\" y2=\"{py:F1}\" stroke=\"#eee\"/><text x=\"{left - 6}\" y=\"{py + 4:F1}\" text-anchor=\"end\">{AxisTicks.Format(LogY ? Math.Pow(10, t) : t)}</text>\n");
        }
        sb.Append(inv, $"<rect x=\"{left}\" y=\"{top}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#333\"/>\n");
        sb.Append(inv, $"<text x=\"{left + pw / 2}\" y=\"{Height - 10}\" text-anchor=\"middle\">{Escape(xLabel)}</text>\n");
        sb.Append(inv, $"<text transform=\"translate(16 {top + ph / 2}) rotate(-90)\" text-anchor=\"middle\">{Escape(yLabel)}{(LogY ? " (log)" : "")}</text>\n");
        for (int i = 0; i < _series.Count; i++)
        {
            var (name, points) = _series[i];
            string color = PlotColor.Palette[i % PlotColor.Palette.Count].ToHex();
            if (points.Count > 0)
                sb.Append(inv, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{string.Join(' ', points.Select(p => string.Create(inv, $"{Px(p.X):F1},{Py(p.Y):F1}")))}\"/>\n");
            if (points.Count == 1)
                sb.Append(inv, $"<circle cx=\"{Px(points[0].X):F1}\" cy=\"{Py(points[0].Y):F1}\" r=\"3\" fill=\"{color}\"/>\n");
            double ly = top + 14 + 16 * i;
            sb.Append(inv, $"<line x1=\"{left + pw - 150}\" y1=\"{ly - 4}\" x2=\"{left + pw - 130}\" y2=\"{ly - 4}\" stroke=\"{color}\" stroke-width=\"2\"/><text x=\"{left + pw - 125}\" y=\"{ly}\">{Escape(name)}</text>\n");
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    static string Escape(string s) => WebUtility.HtmlEncode(s);
}
