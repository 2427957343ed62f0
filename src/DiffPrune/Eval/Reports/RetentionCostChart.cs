using DiffPrune.Reporting.Plots;

namespace DiffPrune.Eval.Reports;

/// <summary>
/// Average retention against LLM prefill FLOPs (share of Vanilla's), one series per method across its budgets, styled as
/// in <see cref="RetentionChart"/>: which method keeps the most for the compute it leaves, whatever K it names.
/// </summary>
public static class RetentionCostChart
{
    /// <summary>The chart of <paramref name="table"/> (empty when no row has both a retention and prefill FLOPs).</summary>
    public static RasterLineChart Of(EvaluationTable table)
    {
        var chart = new RasterLineChart("Average retention by LLM prefill cost", "LLM prefill FLOPs (% of unpruned)", "average retention (%)")
        { Markers = true, Height = 520 };
        var series = table.Blocks.SelectMany(b => b.Rows).GroupBy(r => RetentionChart.BaseName(r.Method))
            .Select(m => (Name: m.Key, Rows: m.ToArray(), Points: m.Where(r => r.Retention != null && EvaluationReport.FlopShare(table, r) != null)
                .Select(r => (100 * EvaluationReport.FlopShare(table, r)!.Value, 100 * r.Retention!.Value,
                    100 * (r.RetentionInterval?.Lo ?? double.NaN), 100 * (r.RetentionInterval?.Hi ?? double.NaN)))
                .OrderBy(p => p.Item1).ToArray()))
            .Where(m => m.Points.Length > 0).ToArray();
        var styles = RetentionChart.Styles(series.Select(m => m.Name).ToArray());
        foreach (var (name, rows, points) in series)
            chart.AddWithErrors(name, points, styles[name].Color, dashed: rows[0].Location != "Pre", styles[name].Marker);
        return chart;
    }
}
