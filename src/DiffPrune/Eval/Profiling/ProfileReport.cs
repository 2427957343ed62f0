using DiffPrune.Tensors.IO;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DiffPrune.Reporting;
using DiffPrune.Tensors.Blas;

namespace DiffPrune.Eval.Profiling;

/// <summary>
/// Writes efficiency tables as report.md and report.json: per setting, paper Table 4's layout (Method, Loc., K,
/// FLOPs, Enc., Pruner, Prefill, TTFT in ms, speedup), then the measured prefill speedup next to the FLOPs ratio and
/// the pruner's share of TTFT, and the sentence that sums it up for DiffPrune.
/// </summary>
public static class ProfileReport
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Where the timings were taken: "CPU, float32, 2 logical cores, GEMM OpenBlas (1 thread)".</summary>
    public static string Machine() => string.Create(Inv,
        $"CPU, float32, {Environment.ProcessorCount} logical cores, GEMM {Gemm.Backend}, {DiffPrune.Tensors.ThreadBudget.Threads} engine threads");

    /// <summary>Writes report.md and report.json into <paramref name="dir"/> (created if needed); returns their paths.</summary>
    public static (string Markdown, string Json) Write(string dir, IReadOnlyList<ProfileTable> tables)
    {
        Directory.CreateDirectory(dir);
        string md = Path.Combine(dir, "report.md"), json = Path.Combine(dir, "report.json");
        AtomicFile.WriteAllText(md, Markdown(tables));
        AtomicFile.WriteAllText(json, Json(tables));
        return (md, json);
    }

    /// <summary>
    /// "At 88.9 % pruning (K = 16 of 144), DiffPrune's measured prefill speedup is 6.10× against a prefill FLOPs ratio of
    /// 7.21×; its pruner takes 31.0 % of its TTFT." for the DiffPrune row (the first row named so), or null without one.
    /// </summary>
    public static string? Headline(ProfileTable table)
    {
        var row = table.Rows.FirstOrDefault(r => r.Method.StartsWith(MethodSelection.DiffPruneName, StringComparison.Ordinal));
        return row == null ? null : string.Create(Inv,
            $"At {BudgetFractions.PruningPercent(table.Keep, table.VisualTokens)} pruning (K = {table.Keep} of {table.VisualTokens}), {row.Method}'s measured prefill speedup is " +
            $"{table.PrefillSpeedup(row):F2}× against a prefill FLOPs ratio of {table.PrefillFlopsRatio(row):F2}× (TTFT {table.Speedup(row):F2}× against {table.FlopsRatio(row):F2}× in all FLOPs); " +
            $"its pruner takes {100 * row.PrunerShare:F1} % of its TTFT.");
    }

    /// <summary>The Markdown report.</summary>
    public static string Markdown(IReadOnlyList<ProfileTable> tables)
    {
        var md = new StringBuilder("# Efficiency profile (paper Table 4)\n\n");
        md.AppendLine(CultureInfo.InvariantCulture, $"Batch 1, {Machine()}. Latencies in ms (medians), FLOPs counted from shapes (vision tower, projector, decoder layers; pruner decisions and LM head left out).").AppendLine();
        foreach (var table in tables) Section(md, table);
        return md.ToString();
    }

    static void Section(StringBuilder md, ProfileTable table)
    {
        var (unit, scale) = table.Vanilla.Flops.Total >= 1e12 ? ("T", 1e12) : ("G", 1e9);
        md.AppendLine(Inv, $"## {table.Title}: K = {table.Keep} of N = {table.VisualTokens} ({BudgetFractions.PruningPercent(table.Keep, table.VisualTokens)} pruning)").AppendLine();
        foreach (var note in table.Notes) md.AppendLine(Inv, $"- {note}");
        md.AppendLine().AppendLine(Inv, $"| Method | Loc. | K | FLOPs ({unit}) | Enc. | Pruner | Prefill | TTFT | Speedup |");
        md.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in table.Rows)
            md.AppendLine(Inv, $"| {r.Method} | {r.Location} | {r.Keep} | {r.Flops.Total / scale:F2} | {r.EncodeMs:F2} | {r.PrunerMs:F2} | {r.PrefillMs:F2} | {r.TtftMs:F2} | {table.Speedup(r):F2}× |");
        md.AppendLine().AppendLine("| Method | Prefill speedup | Prefill FLOPs ratio | TTFT speedup | FLOPs ratio | Pruner share of TTFT | Tokens per decoder layer |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var r in table.Rows)
            md.AppendLine(Inv, $"| {r.Method} | {table.PrefillSpeedup(r):F2}× | {table.PrefillFlopsRatio(r):F2}× | {table.Speedup(r):F2}× | {table.FlopsRatio(r):F2}× | {100 * r.PrunerShare:F1} % | {r.Schedule.Describe()} |");
        foreach (var r in table.Rows.Where(r => r.Note != null)) md.AppendLine().AppendLine(Inv, $"{r.Method}: {r.Note}.");
        if (table.DecoderLayerMs is { Count: > 0 } layers)
        {
            md.AppendLine().AppendLine("Measured per-layer figures the prefill column sums (one decoder layer at each sequence length):").AppendLine();
            md.AppendLine("| tokens | one layer (ms) |").AppendLine("| ---: | ---: |");
            foreach (var (tokens, ms) in layers.OrderBy(l => l.Key)) md.AppendLine(Inv, $"| {tokens} | {ms:F1} |");
        }
        if (Headline(table) is { } headline) md.AppendLine().AppendLine(headline);
        md.AppendLine();
    }

    /// <summary>The JSON report: per setting its notes, layer times and rows with every derived ratio.</summary>
    public static string Json(IReadOnlyList<ProfileTable> tables) => JsonSerializer.Serialize(new
    {
        machine = Machine(),
        settings = tables.Select(t => new
        {
            title = t.Title,
            notes = t.Notes,
            visualTokens = t.VisualTokens,
            keep = t.Keep,
            decoderLayerMs = t.DecoderLayerMs?.OrderBy(l => l.Key).ToDictionary(l => l.Key.ToString(Inv), l => l.Value),
            headline = Headline(t),
            rows = t.Rows.Select(r => new
            {
                method = r.Method,
                location = r.Location,
                keep = r.Keep,
                flops = new { vision = r.Flops.Vision, projector = r.Flops.Projector, decoder = r.Flops.Decoder, prefill = r.Flops.Prefill, total = r.Flops.Total },
                projectedTokens = r.Schedule.ProjectedTokens,
                layerTokens = r.Schedule.LayerTokens,
                encodeMs = r.EncodeMs,
                prunerMs = r.PrunerMs,
                prefillMs = r.PrefillMs,
                ttftMs = r.TtftMs,
                speedup = t.Speedup(r),
                prefillSpeedup = t.PrefillSpeedup(r),
                flopsRatio = t.FlopsRatio(r),
                prefillFlopsRatio = t.PrefillFlopsRatio(r),
                prunerShare = r.PrunerShare,
                note = r.Note,
            }),
        }),
    }, new JsonSerializerOptions(JsonLines.Options) { WriteIndented = true });
}
