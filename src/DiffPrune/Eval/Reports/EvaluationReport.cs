using System.Globalization;
using System.Text;
using System.Text.Json;
using DiffPrune.Data.Scenes;
using DiffPrune.Reporting;

namespace DiffPrune.Eval.Reports;

/// <summary>
/// Writes an <see cref="EvaluationTable"/> in paper Table 1's layout: report.md (Markdown), report.json (every score
/// with its details) and table.csv (the table's cells: suite scores as printed, Avg. in %).
/// </summary>
public static class EvaluationReport
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Writes the three files into <paramref name="dir"/> (created if needed); returns their paths.</summary>
    public static IReadOnlyList<string> Write(string dir, EvaluationTable table)
    {
        Directory.CreateDirectory(dir);
        var files = new[] { ("report.md", Markdown(table)), ("report.json", Json(table)), ("table.csv", Csv(table)) };
        foreach (var (name, text) in files) File.WriteAllText(Path.Combine(dir, name), text);
        return files.Select(f => Path.Combine(dir, f.Item1)).ToArray();
    }

    /// <summary>"Retain 16 Tokens (88.9 % pruning)": a block's heading.</summary>
    public static string BlockTitle(EvaluationBlock block, int tokens) =>
        $"Retain {block.Keep} Tokens ({BudgetFractions.PruningPercent(block.Keep, tokens)} pruning)";

    /// <summary>"Upper Bound, 144 Tokens (100 %)".</summary>
    public static string UpperBoundTitle(int tokens) => $"Upper Bound, {tokens} Tokens (100 %)";

    /// <summary>"96.5 %", or "–" when undefined.</summary>
    public static string RetentionCell(double? retention) =>
        retention is double r ? (100 * r).ToString("F1", Inv) + " %" : "–";

    /// <summary>The Markdown table with its setting and what Avg. leaves out.</summary>
    public static string Markdown(EvaluationTable table)
    {
        var md = new StringBuilder("# SceneBench evaluation (paper Table 1)\n\n");
        md.AppendLine(Inv, $"Model {table.Model}, N = {table.VisualTokens} visual tokens; {table.Scenes} SceneBench test scenes, {table.Items:N0} questions per row, greedy answers.");
        md.AppendLine("Each suite's standard score (MME: total over its subtasks, up to 200 each; the others in %). Loc.: where a method prunes (Pre: before the LLM; La–Lb: inside it). Avg.: average retention, the mean over suites of pruned / unpruned score.");
        if (Excluded(table) is { } excluded) md.AppendLine().AppendLine(excluded);
        md.AppendLine().AppendLine("| Method | Loc. | " + string.Join(" | ", SceneSuites.All.Select(s => s.DisplayName())) + " | Avg. |");
        md.AppendLine("| --- | --- |" + string.Concat(Enumerable.Repeat(" ---: |", SceneSuites.All.Count + 1)));
        md.AppendLine(Heading(UpperBoundTitle(table.VisualTokens)));
        md.AppendLine(Row(table.Vanilla));
        foreach (var block in table.Blocks)
        {
            md.AppendLine(Heading(BlockTitle(block, table.VisualTokens)));
            foreach (var row in block.Rows) md.AppendLine(Row(row));
        }
        return md.ToString();
    }

    static string Heading(string title) => $"| *{title}* |" + string.Concat(Enumerable.Repeat(" |", SceneSuites.All.Count + 2));

    static string Row(EvaluationRow row) =>
        $"| {row.Method} | {row.Location} | " + string.Join(" | ", row.Scores.Select(s => s.Display)) + $" | {RetentionCell(row.Retention)} |";

    static string? Excluded(EvaluationTable table) => table.ExcludedSuites.Count == 0 ? null
        : $"Avg. leaves out {string.Join(", ", table.ExcludedSuites.Select(s => s.DisplayName()))}: Vanilla scores 0 there, so retention is undefined.";

    /// <summary>The table's cells as CSV: block, method, location, K, pruning %, one column per suite (as printed), Avg. in % (empty when undefined).</summary>
    public static string Csv(EvaluationTable table)
    {
        var csv = new StringBuilder("block,method,location,keep,pruning_percent," + string.Join(",", SceneSuites.All.Select(s => Field(s.DisplayName()))) + ",avg_retention_percent\n");
        void Add(string block, EvaluationRow row) => csv.AppendLine(string.Join(",",
            new[] { block, row.Method, row.Location, row.Keep.ToString(Inv), (100.0 * (table.VisualTokens - row.Keep) / table.VisualTokens).ToString("F1", Inv) }
                .Concat(row.Scores.Select(s => s.Display))
                .Append(row.Retention is double r ? (100 * r).ToString("F1", Inv) : "")
                .Select(Field)));
        Add(UpperBoundTitle(table.VisualTokens), table.Vanilla);
        foreach (var block in table.Blocks)
            foreach (var row in block.Rows) Add(BlockTitle(block, table.VisualTokens), row);
        return csv.ToString();
    }

    static string Field(string s) => s.IndexOfAny([',', '"', '\n']) < 0 ? s : "\"" + s.Replace("\"", "\"\"") + "\"";

    /// <summary>The table as JSON: setting, excluded suites, and per row every suite's value (0..1), printed score, item count and details.</summary>
    public static string Json(EvaluationTable table) => JsonSerializer.Serialize(new
    {
        model = table.Model,
        visualTokens = table.VisualTokens,
        scenes = table.Scenes,
        items = table.Items,
        excludedFromAverage = table.ExcludedSuites.Select(s => s.DisplayName()),
        upperBound = JsonRow(table.Vanilla),
        blocks = table.Blocks.Select(b => new
        {
            title = BlockTitle(b, table.VisualTokens),
            fraction = b.Fraction,
            keep = b.Keep,
            rows = b.Rows.Select(JsonRow),
        }),
    }, new JsonSerializerOptions(JsonLines.Options) { WriteIndented = true });

    static object JsonRow(EvaluationRow row) => new
    {
        method = row.Method,
        location = row.Location,
        keep = row.Keep,
        retention = row.Retention,
        seconds = row.Seconds,
        scores = row.Scores.ToDictionary(s => s.Suite.DisplayName(), s => new { value = s.Value, display = s.Display, items = s.Items, details = s.Details }),
    };
}
