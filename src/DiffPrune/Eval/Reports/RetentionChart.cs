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
        int extra = 0;
        foreach (var method in table.Blocks.SelectMany(b => b.Rows).GroupBy(r => BaseName(r.Method)))
        {
            var points = method.Where(r => r.Retention != null)
                .Select(r => ((double)r.Keep, 100 * r.Retention!.Value, 100 * (r.RetentionInterval?.Lo ?? double.NaN), 100 * (r.RetentionInterval?.Hi ?? double.NaN)))
                .OrderBy(p => p.Item1).ToArray();
            if (points.Length == 0) continue;
            bool known = MethodStyles.Known.Contains(method.Key, StringComparer.OrdinalIgnoreCase);
            var (color, marker) = MethodStyles.Of(method.Key, known ? 0 : extra++);
            chart.AddWithErrors(method.Key, points, color, dashed: method.First().Location != "Pre", marker);
        }
        return chart;
    }

    /// <summary>"DiffPrune" for "DiffPrune (trained K = 16)": one series per method across budgets.</summary>
    static string BaseName(string label) => label.Split(" (")[0];
}
