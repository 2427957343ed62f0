using DiffPrune.Tensors.IO;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DiffPrune.Data.Scenes;
using DiffPrune.Eval.Statistics;
using DiffPrune.Pruning;
using DiffPrune.Reporting;

namespace DiffPrune.Eval.Reports;

/// <summary>
/// Writes an <see cref="EvaluationTable"/> in paper Table 1's layout: report.md (Markdown), report.json (every score
/// with its details), table.csv (the table's cells: suite scores as printed, Avg. in %, its interval and the paired
/// difference, LLM FLOPs), retention.png (average retention by budget, with the intervals) when there is a retention to draw,
/// and retention-flops.png (the same against LLM prefill FLOPs) when the rows carry their FLOPs.
/// </summary>
public static class EvaluationReport
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Writes the files into <paramref name="dir"/> (created if needed); returns their paths.</summary>
    public static IReadOnlyList<string> Write(string dir, EvaluationTable table)
    {
        Directory.CreateDirectory(dir);
        var files = new[] { ("report.md", Markdown(table)), ("report.json", Json(table)), ("table.csv", Csv(table)) };
        foreach (var (name, text) in files) AtomicFile.WriteAllText(Path.Combine(dir, name), text);
        var paths = files.Select(f => Path.Combine(dir, f.Item1)).ToList();
        foreach (var (name, chart) in new[] { ("retention.png", RetentionChart.Of(table)), ("retention-flops.png", RetentionCostChart.Of(table)) })
            if (!chart.IsEmpty)
            {
                paths.Add(Path.Combine(dir, name));
                chart.SavePng(paths[^1]);
            }
        return paths;
    }

    /// <summary>A block's heading: "Retain 16 Tokens (88.9 % pruning)", or on a native-resolution model, whose budgets are
    /// rates, "Pruning Rate = 88.9 % (mean K 22 of 194)" as the paper's Table 3 heads them.</summary>
    public static string BlockTitle(EvaluationTable table, EvaluationBlock block) => table.NativeResolution
        ? $"Pruning Rate = {(100 * (1 - block.Fraction)).ToString("F1", Inv)} % (mean K {block.Keep} of {table.VisualTokens})"
        : $"Retain {block.Keep} Tokens ({BudgetFractions.PruningPercent(block.Keep, table.VisualTokens)} pruning)";

    /// <summary>"Upper Bound, 144 Tokens (100 %)".</summary>
    public static string UpperBoundTitle(int tokens) => $"Upper Bound, {tokens} Tokens (100 %)";

    /// <summary>"96.5 %", or "–" when undefined.</summary>
    public static string RetentionCell(double? retention) =>
        retention is double r ? (100 * r).ToString("F1", Inv) + " %" : "–";

    /// <summary>The Markdown table with its setting, what Avg. leaves out, and (with statistics) how the methods compare.</summary>
    public static string Markdown(EvaluationTable table)
    {
        var md = new StringBuilder(table.Tiled ? "# SceneBench evaluation of a LLaVA-NeXT-style model (paper Table 2)\n\n"
            : table.NativeResolution ? "# SceneBench evaluation of a Qwen2.5-VL-style model (paper Table 3)\n\n" : "# SceneBench evaluation (paper Table 1)\n\n");
        md.AppendLine(Inv, $"Model {table.Model}, N = {table.VisualTokens} visual tokens; {table.Scenes} SceneBench test scenes ({table.Bench} configuration), {table.Items:N0} questions per row, greedy answers.");
        md.AppendLine("Each suite's standard score (MME: total over its subtasks, up to 200 each; the others in %). Loc.: where a method prunes (Pre: before the LLM; La–Lb: inside it). Avg.: average retention, the mean over suites of pruned / unpruned score.");
        if (table.Statistics is { } stats) md.AppendLine(StatisticsText(table, stats));
        bool thresholds = HasThresholds(table), perImage = !thresholds && KeptVaries(table);
        if (thresholds) md.AppendLine().AppendLine(ThresholdText(table));
        if (perImage) md.AppendLine().AppendLine(PerImageText);
        if (Excluded(table) is { } excluded) md.AppendLine().AppendLine(excluded);
        if (table.Tiled) md.AppendLine().AppendLine("The model tiles each image (AnyRes: a downscaled base view, then the full-resolution tiles with a newline after each row); " +
            "N counts the base view's and the tiles' tokens, and every method sees them as one sequence.");
        if (table.LeftOutNote is { } note) md.AppendLine().AppendLine(note);
        bool flops = HasFlops(table);
        if (flops) md.AppendLine().AppendLine(FlopsText(table));
        var extra = (table.Statistics is { } s ? new[] { "95 % CI", $"Δ vs {ReferenceName(s)} [95 % CI]" } : []).Concat(thresholds || perImage ? ["K kept"] : [])
            .Concat(flops ? ["LLM FLOPs"] : []).ToArray();
        int columns = SceneSuites.All.Count + 3 + extra.Length;
        md.AppendLine().AppendLine("| Method | Loc. | " + string.Join(" | ", SceneSuites.All.Select(s => s.DisplayName()).Append("Avg.").Concat(extra)) + " |");
        md.AppendLine("| --- | --- |" + string.Concat(Enumerable.Repeat(" ---: |", columns - 2)));
        md.AppendLine(Heading(UpperBoundTitle(table.VisualTokens), columns));
        md.AppendLine(Row(table, table.Vanilla, table.Statistics != null, thresholds || perImage, flops));
        foreach (var block in table.Blocks)
        {
            md.AppendLine(Heading(BlockTitle(table, block), columns));
            foreach (var row in block.Rows) md.AppendLine(Row(table, row, table.Statistics != null, thresholds || perImage, flops));
        }
        if (table.Statistics != null) md.AppendLine().Append(Comparisons(table));
        if (table.CostMatched.Count > 0) md.AppendLine().Append(CostMatchedText(table));
        return md.ToString();
    }

    static bool HasFlops(EvaluationTable table) => table.Vanilla.PrefillFlops > 0 && table.Blocks.SelectMany(b => b.Rows).Any(r => r.PrefillFlops != null);

    /// <summary>"23.5 %": a row's prefill FLOPs as a share of Vanilla's, or "–".</summary>
    public static string FlopsCell(EvaluationTable table, EvaluationRow row) =>
        FlopShare(table, row) is double share ? (100 * share).ToString("F1", Inv) + " %" : "–";

    /// <summary>A row's prefill FLOPs over Vanilla's; null when either is unknown.</summary>
    public static double? FlopShare(EvaluationTable table, EvaluationRow row) =>
        row.PrefillFlops is double f && table.Vanilla.PrefillFlops is double v && v > 0 ? f / v : null;

    static string FlopsText(EvaluationTable table) =>
        "LLM FLOPs: the prefill FLOPs of the projector and decoder layers under the method, as a share of Vanilla's, on the first test scene's "
        + "first VQAv2 question (as `diffprune profile` counts them; the pruners' own decisions are not counted). The same K is not the same cost: a method that prunes inside the LLM "
        + "runs its first layers on all N visual tokens.";

    /// <summary>Each cost-matched comparison in one line of running text.</summary>
    static string CostMatchedText(EvaluationTable table)
    {
        var md = new StringBuilder("## At no more LLM cost\n\n")
            .Append("Each method that is not behind the reference at its budget but spends more LLM FLOPs there, against the reference row ")
            .Append("(any budget) with the highest retention among those that spend no more; Δ paired over the same resamples.\n\n");
        foreach (var c in table.CostMatched)
            md.AppendLine(Inv, $"- {c.Method.Method} at K = {c.Method.Keep} ({FlopsCell(table, c.Method)} of Vanilla's LLM FLOPs): {RetentionCell(c.Method.Retention)}; "
                + $"{c.Reference.Method} at K = {c.Reference.Keep} ({FlopsCell(table, c.Reference)}): {RetentionCell(c.Reference.Retention)}; "
                + $"{c.Method.Method} {IntervalText.Difference(c.Difference)}.");
        return md.ToString();
    }

    static bool HasThresholds(EvaluationTable table) => table.Blocks.SelectMany(b => b.Rows).Any(r => r.Threshold != null);

    /// <summary>Whether some row's images kept different numbers of tokens (a rate on images of their own N, or thresholds).</summary>
    static bool KeptVaries(EvaluationTable table) => table.Blocks.SelectMany(b => b.Rows).Any(r => r.Kept is { } k && k.Min != k.Max);

    const string PerImageText = "The test images give their own N (native resolution): each budget is a rate, every image keeping "
        + "K_i = round(rate × N_i) of its N_i, and the headings' N and K are the images' mean N and that rate of it. K kept: mean [min–max] "
        + "over the test images (scene images and VizWiz's degraded ones, each once).";

    /// <summary>What a threshold row is and which threshold each one used.</summary>
    static string ThresholdText(EvaluationTable table)
    {
        var rows = table.Blocks.SelectMany(b => b.Rows).Where(r => r.Threshold != null)
            .Select(r => string.Create(Inv, $"{r.Method} at mean K = {r.Threshold!.MeanKeep}: z ≥ {r.Threshold.Value:F4} (calibrated on {r.Threshold.Images} validation images)"));
        return "Threshold rows keep each image's tokens whose standardised scorer logit z = (s − mean)/std over the image reaches a threshold "
            + "calibrated on SceneBench validation scenes so that they keep K tokens on average (at least one per image), so K varies per image; "
            + "each sits below the same pruner's top-K row, which is its Δ reference. K kept: mean [min–max] over the test images "
            + "(scene images and VizWiz's degraded ones, each once). " + string.Join("; ", rows) + ".";
    }

    /// <summary>"16.0 [9–27]", or "–" for a row whose kept tokens were not counted.</summary>
    public static string KeptCell(KeptTokenStats? kept) =>
        kept is { } k ? string.Create(Inv, $"{k.Mean:F1} [{k.Min}–{k.Max}]") : "–";

    static string ReferenceName(BootstrapSummary stats) => stats.Pairing == PairingRule.DiffPrune ? MethodSelection.DiffPruneName : "best";

    static string StatisticsText(EvaluationTable table, BootstrapSummary stats)
    {
        string pairing = stats.Pairing == PairingRule.DiffPrune
            ? "Δ: the method's average retention minus DiffPrune's at the same budget, in points"
            : "Δ: the method's average retention minus that of the best method at the same budget by point retention (no DiffPrune pruner in this evaluation), in points";
        return string.Create(Inv, $"95 % CI: percentile bootstrap over the {table.Scenes} test scenes ({stats.Resamples:N0} resamples, seed {stats.Seed}); every resample rescores each suite for the method and for Vanilla, so the interval includes the uncertainty of the unpruned reference. {pairing}, with both methods scored on the same resampled scenes and questions; a difference whose interval holds 0 is a tie. (Bootstrap: {stats.Seconds:F2} s.)");
    }

    /// <summary>Per budget, which methods lie above, level with (tie) and below the reference.</summary>
    static string Comparisons(EvaluationTable table)
    {
        var md = new StringBuilder("## Paired comparisons\n\n");
        foreach (var block in table.Blocks)
        {
            var reference = block.Rows.FirstOrDefault(r => r.IsReference);
            if (reference == null)
            {
                md.AppendLine(Inv, $"- K = {block.Keep}: no row has a defined retention, so nothing is compared.");
                continue;
            }
            var others = block.Rows.Where(r => !r.IsReference && r.Difference != null).ToArray();
            string Group(ComparisonVerdict v, string title)
            {
                var rows = others.Where(r => r.Difference!.Verdict == v).OrderByDescending(r => r.Difference!.Value).ToArray();
                return rows.Length == 0 ? "" : $"; {title}: " + string.Join(", ", rows.Select(r => IntervalText.Named(r.Method, r.Difference!)));
            }
            md.AppendLine($"- K = {block.Keep}: reference {reference.Method}, {RetentionCell(reference.Retention)} {IntervalText.Retention(reference.RetentionInterval)}"
                + Group(ComparisonVerdict.Higher, "higher") + Group(ComparisonVerdict.Tie, "tie") + Group(ComparisonVerdict.Lower, "lower") + ".");
        }
        return md.ToString();
    }

    static string Heading(string title, int columns) => $"| *{title}* |" + string.Concat(Enumerable.Repeat(" |", columns - 1));

    static string Row(EvaluationTable table, EvaluationRow row, bool statistics, bool kept, bool flops)
    {
        var cells = row.Scores.Select(s => s.Display).Append(RetentionCell(row.Retention));
        if (statistics)
            cells = cells.Append(IntervalText.Retention(row.RetentionInterval)).Append(row.IsReference ? "reference" : IntervalText.Difference(row.Difference));
        if (kept) cells = cells.Append(KeptCell(row.Kept));
        if (flops) cells = cells.Append(FlopsCell(table, row));
        return $"| {row.Method} | {row.Location} | " + string.Join(" | ", cells) + " |";
    }

    static string? Excluded(EvaluationTable table) => table.ExcludedSuites.Count == 0 ? null
        : $"Avg. leaves out {string.Join(", ", table.ExcludedSuites.Select(s => s.DisplayName()))}: Vanilla scores 0 there, so retention is undefined.";

    /// <summary>
    /// The table's cells as CSV: block, method, location, K, pruning %, one column per suite (as printed), Avg. in %, then
    /// its interval (%), the paired reference, the difference and its interval (points), the verdict, the mean, min and max
    /// tokens the images kept, and a threshold row's threshold on standardised logits (empty when undefined).
    /// </summary>
    public static string Csv(EvaluationTable table)
    {
        var csv = new StringBuilder("block,method,location,keep,pruning_percent," + string.Join(",", SceneSuites.All.Select(s => Field(s.DisplayName())))
            + ",avg_retention_percent,ci_low_percent,ci_high_percent,paired_reference,paired_difference_points,paired_ci_low_points,paired_ci_high_points,paired_verdict"
            + ",kept_mean,kept_min,kept_max,threshold,llm_flops_percent\n");
        static string Number(double? v) => v is double x ? (100 * x).ToString("F1", Inv) : "";
        void Add(string block, EvaluationRow row)
        {
            var d = row.Difference;
            csv.AppendLine(string.Join(",",
                new[] { block, row.Method, row.Location, row.Keep.ToString(Inv), (100.0 * (table.VisualTokens - row.Keep) / table.VisualTokens).ToString("F1", Inv) }
                    .Concat(row.Scores.Select(s => s.Display))
                    .Append(Number(row.Retention))
                    .Append(Number(row.RetentionInterval?.Lo)).Append(Number(row.RetentionInterval?.Hi))
                    .Append(d?.Reference ?? "").Append(Number(d?.Value)).Append(Number(d?.Interval.Lo)).Append(Number(d?.Interval.Hi))
                    .Append(d == null ? "" : row.IsReference ? "reference" : IntervalText.Verdict(d.Verdict))
                    .Append(row.Kept?.Mean.ToString("F2", Inv) ?? "").Append(row.Kept?.Min.ToString(Inv) ?? "").Append(row.Kept?.Max.ToString(Inv) ?? "")
                    .Append(row.Threshold?.Value.ToString("R", Inv) ?? "")
                    .Append(Number(FlopShare(table, row)))
                    .Select(Field)));
        }
        Add(UpperBoundTitle(table.VisualTokens), table.Vanilla);
        foreach (var block in table.Blocks)
            foreach (var row in block.Rows) Add(BlockTitle(table, block), row);
        return csv.ToString();
    }

    static string Field(string s) => s.IndexOfAny([',', '"', '\n']) < 0 ? s : "\"" + s.Replace("\"", "\"\"") + "\"";

    /// <summary>The table as JSON: setting, excluded suites, the bootstrap, and per row every suite's value (0..1), printed score, item count and details, its interval and paired difference.</summary>
    public static string Json(EvaluationTable table) => JsonSerializer.Serialize(new
    {
        model = table.Model,
        visualTokens = table.VisualTokens,
        bench = table.Bench,
        tiled = table.Tiled,
        nativeResolution = table.NativeResolution,
        leftOut = table.LeftOut,
        scenes = table.Scenes,
        items = table.Items,
        excludedFromAverage = table.ExcludedSuites.Select(s => s.DisplayName()),
        statistics = table.Statistics is { } b ? new { resamples = b.Resamples, seed = b.Seed, level = b.Level, pairing = b.Pairing, seconds = b.Seconds } : null,
        upperBound = JsonRow(table.Vanilla),
        costMatched = table.CostMatched.Select(c => new
        {
            method = c.Method.Method,
            keep = c.Method.Keep,
            reference = c.Reference.Method,
            referenceKeep = c.Reference.Keep,
            difference = JsonDifference(c.Difference),
        }),
        blocks = table.Blocks.Select(b => new
        {
            title = BlockTitle(table, b),
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
        retentionInterval = JsonInterval(row.RetentionInterval),
        difference = JsonDifference(row.Difference),
        kept = row.Kept is { } k ? new { mean = k.Mean, min = k.Min, max = k.Max, images = k.Images } : null,
        threshold = row.Threshold is { } t ? new { value = t.Value, meanKeep = t.MeanKeep, images = t.Images, scale = "standardised logits" } : null,
        prefillFlops = row.PrefillFlops,
        seconds = row.Seconds,
        scores = row.Scores.ToDictionary(s => s.Suite.DisplayName(), s => new { value = s.Value, display = s.Display, items = s.Items, details = s.Details }),
    };

    /// <summary>{ lo, hi } or null.</summary>
    public static object? JsonInterval(ConfidenceInterval? interval) => interval is { } i ? new { lo = i.Lo, hi = i.Hi } : null;

    /// <summary>{ reference, value, lo, hi, verdict } or null.</summary>
    public static object? JsonDifference(PairedDifference? d) =>
        d == null ? null : new { reference = d.Reference, value = d.Value, lo = d.Interval.Lo, hi = d.Interval.Hi, verdict = d.Verdict };
}
