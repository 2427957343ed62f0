using DiffPrune.Reporting.Plots;

namespace DiffPrune.Eval.Reports;

/// <summary>
/// Average retention by budget, one series per method (its own colour and marker, <see cref="MethodStyles"/>; dashed inside the LLM), with each
/// point's 95 % bootstrap interval as an error bar when the table has them.
/// </summary>
public static class RetentionChart
{
    /// <summary>The chart of <paramref name="table"/> (empty when no row has a retention).</summary>
    public static RasterLineChart Of(EvaluationTable table)
    {
        var chart = new RasterLineChart("Average retention by budget", "visual tokens kept", "average retention (%)") { Markers = true, Dodge = 5, Height = 520 };
        var series = table.Blocks.SelectMany(b => b.Rows).GroupBy(r => BaseName(r.Method))
            .Select(m => (Name: m.Key, Rows: m.ToArray(), Points: m.Where(r => r.Retention != null)
                .Select(r => ((double)r.Keep, 100 * r.Retention!.Value, 100 * (r.RetentionInterval?.Lo ?? double.NaN), 100 * (r.RetentionInterval?.Hi ?? double.NaN)))
                .OrderBy(p => p.Item1).ToArray()))
            .Where(m => m.Points.Length > 0).ToArray();
        var styles = Styles(series.Select(m => m.Name).ToArray());
        foreach (var (name, rows, points) in series)
            chart.AddWithErrors(name, points, styles[name].Color, dashed: rows[0].Location != "Pre", styles[name].Marker);
        return chart;
    }

    /// <summary>Each method's fixed style; a name outside the registry (a variant, a threshold row) takes the next extra
    /// style whose colour no other series of this chart has.</summary>
    internal static Dictionary<string, (PlotColor Color, MarkerShape Marker)> Styles(IReadOnlyList<string> names)
    {
        bool Known(string name) => MethodStyles.Known.Contains(name, StringComparer.OrdinalIgnoreCase);
        var styles = names.Where(Known).ToDictionary(n => n, n => MethodStyles.Of(n));
        int extra = 0;
        foreach (var name in names.Where(n => !Known(n)))
        {
            var style = MethodStyles.Of(name, extra++);
            for (int tries = 0; tries < PlotColor.Palette.Count && styles.Values.Any(s => s.Color == style.Color); tries++)
                style = MethodStyles.Of(name, extra++);
            styles[name] = style;
        }
        return styles;
    }

    /// <summary>
    /// The label without the budget a re-ranking pruner was trained for ("DiffPrune" for "DiffPrune (trained K = 16)",
    /// "DiffPrune (gumbel)" for "DiffPrune (gumbel, trained K = 16)"): one series per method across budgets, one per
    /// variant or threshold row beside it.
    /// </summary>
    internal static string BaseName(string label)
    {
        int at = label.IndexOf("trained K = ", StringComparison.Ordinal);
        int end = at < 0 ? -1 : label.IndexOf(')', at);
        if (end < 0) return label;
        string before = label[..at], after = label[end..];
        return before.EndsWith(", ", StringComparison.Ordinal) ? before[..^2] + after
            : before.EndsWith(" (", StringComparison.Ordinal) ? before[..^2] + after[1..]
            : label;
    }
}
