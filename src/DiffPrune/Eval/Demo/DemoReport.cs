using System.Globalization;
using System.Text;
using System.Text.Json;
using DiffPrune.Data.Scenes;
using DiffPrune.Eval.Profiling;
using DiffPrune.Eval.Reports;
using DiffPrune.Eval.Statistics;
using DiffPrune.Reporting;
using DiffPrune.Reporting.Plots;
using DiffPrune.Tensors.IO;
using DiffPrune.Training.Pruner;

namespace DiffPrune.Eval.Demo;

/// <summary>
/// The demo's report: report.md with Tables 1, 5 and 4 and Figure 5 (each next to what the paper reports), the
/// training runs and what was left to other commands; report.json with every number; retention.png (retention by
/// budget, per method), retention-flops.png (the same against LLM prefill FLOPs) and ablation.png (validation loss of the
/// Table 5 runs).
/// </summary>
public static class DemoReport
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Paper Table 5 at K = 64 (LLaVA-1.5-7B, GQA/MMBench/POPE/MME): the figure next to each variant.</summary>
    static readonly Dictionary<string, double> PaperTable5 = new()
    {
        ["Full DiffPrune"] = 95.5,
        ["Gumbel-STE Throttler"] = 87.4,
        ["Scale-gate Throttler"] = 93.2,
        ["Global-attention Denoiser"] = 92.7,
    };

    /// <summary>Writes the report of a finished demo; returns report.md's path.</summary>
    /// <exception cref="InvalidOperationException">A phase has not run.</exception>
    public static string Write(DemoPipeline demo)
    {
        var table = demo.Table ?? throw new InvalidOperationException("the demo has not evaluated its methods yet");
        var profile = demo.Profile ?? throw new InvalidOperationException("the demo has not profiled yet");
        if (demo.Ablations.Count == 0 || demo.Figure5 == null) throw new InvalidOperationException("the demo has not finished its ablations and Figure 5");
        Directory.CreateDirectory(demo.Dir);
        var retention = RetentionChart.Of(table);
        if (!retention.IsEmpty) retention.SavePng(Path.Combine(demo.Dir, "retention.png"));
        var cost = RetentionCostChart.Of(table);
        if (!cost.IsEmpty) cost.SavePng(Path.Combine(demo.Dir, "retention-flops.png"));
        AblationChart(demo).SavePng(Path.Combine(demo.Dir, "ablation.png"));
        var md = Markdown(demo, table, profile, retention.IsEmpty, cost.IsEmpty);
        var path = Path.Combine(demo.Dir, "report.md");
        AtomicFile.WriteAllText(path, md);
        AtomicFile.WriteAllText(Path.Combine(demo.Dir, "report.json"), Json(demo, table, profile));
        return path;
    }

    static string Markdown(DemoPipeline demo, EvaluationTable table, ProfileTable profile, bool noRetention, bool noCost)
    {
        var o = demo.Options;
        int n = demo.VisualTokens, k = demo.TightestKeep;
        var md = new StringBuilder("# DiffPrune demo\n\n");
        string quick = o.Quick ? "; **quick run**: too few steps and scenes for its numbers to mean anything, it checks that every part runs" : "";
        md.AppendLine(Inv, $"Base VLM {demo.ModelName} (frozen; N = {n} visual tokens). Seed {o.Seed}{quick}. Every number below was computed by this run.").AppendLine();
        string scorers = o.ScorerPerBudget ? "one scorer trained per budget." : $"one DiffPrune scorer trained at K = {k}, re-ranking at the other budgets (rows marked \"trained K = {k}\").";
        var t = new PrunerTrainingOptions();
        md.AppendLine(Inv, $"- Pruner training: {o.TrainSteps} steps of {o.BatchSize} captions per run (AdamW lr {o.LearningRate:G3}, cosine; τ {t.TauStart} → {t.TauEnd} over the run on {t.LogitScale.ToString().ToLowerInvariant()} logits; the Gumbel-STE variant on raw logits, as the paper's Eq. 1), features of {o.FeaturePool} training scenes encoded once and shared by every run; {scorers}");
        md.AppendLine(Inv, $"- Test: {table.Scenes} SceneBench test scenes ({o.Bench.Name()} configuration), {table.Items:N0} questions per row, greedy answers.");
        md.AppendLine(Inv, $"- Time: {demo.Seconds.Values.Sum() / 60:F1} min in all on {ProfileReport.Machine()}: {string.Join("; ", demo.Seconds.Select(p => $"{p.Key} {p.Value:F0} s"))}.").AppendLine();
        md.AppendLine(Demote(EvaluationReport.Markdown(table))).AppendLine(noRetention
            ? "No retention figure: the unpruned model scores 0 on every suite, so retention is undefined."
            : "![average retention by budget](retention.png)").AppendLine();
        if (!noCost) md.AppendLine("![average retention by LLM prefill FLOPs](retention-flops.png)").AppendLine();
        Ablations(md, demo);
        md.AppendLine(Demote(ProfileReport.Markdown([profile])));
        Figure5(md, demo);
        Training(md, demo);
        md.AppendLine("## Left to other commands\n");
        md.AppendLine(Inv, $"- `diffprune profile --model MODEL --pruner {Path.Combine(demo.Dir, "train")}`: the profile at LLaVA-1.5-7B width (N = 576, d_v = 1024, Vicuna-7B layers), a few minutes more.");
        md.AppendLine(Inv, $"- `diffprune train --model MODEL`: a full-length pruner run ({new PrunerTrainingOptions().Steps} steps) with its own report; `--throttler` / `--denoiser` for the ablations at that length.");
        md.AppendLine("- `diffprune eval --model MODEL --pruner DIR --scenes 100`: Table 1 on more test scenes (narrower error bars).");
        md.AppendLine("- `diffprune probe`: the pilot studies (gradient coherence, loss landscape, VP-Noise vs hard top-K) on Fashion-MNIST.");
        return md.ToString();
    }

    /// <summary>A sub-report's headings one level down, under this report's title.</summary>
    static string Demote(string markdown) => string.Join('\n', markdown.Split('\n').Select(l => l.StartsWith('#') ? "#" + l : l));

    static void Ablations(StringBuilder md, DemoPipeline demo)
    {
        md.AppendLine(Inv, $"## Component ablation (paper Table 5), K = {demo.TightestKeep} of {demo.VisualTokens}\n");
        md.AppendLine("Each variant replaces one training-time component; base VLM, scorer, data, seed and steps are the same. Average retention of the deployed hard top-K pruner over all ten suites and over the paper's four (GQA, MMBench, POPE, MME), next to the paper's K = 64 of 576 figure (LLaVA-1.5-7B). α: how binary the training input was at the last validation (hard top-K: 1 and 0); the validation losses compare the soft training input with hard top-K on the same captions.\n");
        md.AppendLine("Intervals: 95 % percentile bootstrap over the test scenes (the resamples of Table 1, Vanilla rescored on each); Δ: the variant's 10-suite retention minus the full method's, in points, on the same resampled scenes and questions; an interval that holds 0 is a tie.\n");
        md.AppendLine("| Variant | Replaced design | Avg. (10 suites) | 95 % CI | Δ vs full [95 % CI] | Avg. (GQA, MMB, POPE, MME) | 95 % CI | paper | mean α in top-K | α mass outside | val. loss soft | val. loss hard |");
        md.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var a in demo.Ablations)
            md.AppendLine(Inv, $"| {a.Variant} | {a.Replaced} | {EvaluationReport.RetentionCell(a.Retention)} | {IntervalText.Retention(a.RetentionInterval)} | {(a == demo.Ablations[0] ? "reference" : IntervalText.Difference(a.Difference))} | {EvaluationReport.RetentionCell(a.PaperRetention)} | {IntervalText.Retention(a.PaperRetentionInterval)} | {PaperTable5[a.Variant]:F1} % | {a.Alpha.MeanInsideTopK:F3} | {a.Alpha.MassOutsideTopK:F3} | {a.SoftLoss:F4} | {a.HardLoss:F4} |");
        md.AppendLine().AppendLine(AblationReading(demo.Ablations));
        md.AppendLine().AppendLine("![validation loss of the Table 5 runs](ablation.png)").AppendLine();
    }

    /// <summary>Which variants the full method beats, ties with or loses to, by the interval of the paired difference.</summary>
    static string AblationReading(IReadOnlyList<AblationRow> ablations)
    {
        var variants = ablations.Skip(1).Where(a => a.Difference != null).ToArray();
        if (variants.Length == 0) return "Reading: no variant has a defined retention difference to the full method.";
        string Of(ComparisonVerdict v) => string.Join(", ", variants.Where(a => a.Difference!.Verdict == v).Select(a => IntervalText.Named(a.Variant, a.Difference!)));
        var parts = new[]
        {
            (ComparisonVerdict.Lower, "the full method keeps more than"),
            (ComparisonVerdict.Tie, "ties (interval holds 0) with"),
            (ComparisonVerdict.Higher, "the full method keeps less than"),
        }.Where(p => variants.Any(a => a.Difference!.Verdict == p.Item1)).Select(p => $"{p.Item2} {Of(p.Item1)}");
        bool paperOrder = variants.All(a => a.Difference!.Verdict == ComparisonVerdict.Lower);
        return $"Reading (Δ in points vs the full method): {string.Join("; ", parts)}. "
            + (paperOrder ? "The full method is ahead of every variant, the paper's ordering at the top." : "Unlike the paper, the full method is not ahead of every variant here.");
    }

    static void Figure5(StringBuilder md, DemoPipeline demo)
    {
        var f = demo.Figure5!;
        md.AppendLine("## Learned token ranking (paper Figure 5)\n");
        md.AppendLine(Inv, $"{f.Method} on a test image, question \"{f.Question}\": answer \"{f.Unpruned}\" with all {f.VisualTokens} tokens, \"{f.Pruned}\" with {f.Kept.Count}. Left: kept tokens red, dropped blue. Right: cosine similarity of the vision features, [top-{f.Top.Count} ; bottom-{f.Bottom.Count}] by score.\n");
        md.AppendLine("![kept and dropped tokens](figure5/tokens.png) ![similarity of top-K and bottom-K tokens](figure5/similarity.png)").AppendLine();
    }

    static void Training(StringBuilder md, DemoPipeline demo)
    {
        md.AppendLine("## Pruner training runs\n");
        md.AppendLine("| run | K | steps | minutes | captions/s | last val. loss soft | hard top-K | mean α in top-K | α mass outside | report |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var (config, run) in demo.Runs)
        {
            double seconds = run.Steps.Sum(s => s.Seconds);
            var v = run.Validations[^1];
            var rel = Path.GetRelativePath(demo.Dir, Path.Combine(run.Dir, "report.md"));
            md.AppendLine(Inv, $"| {config.Variant} | {config.Keep} | {run.Steps.Count} | {seconds / 60:F1} | {run.Steps.Sum(s => s.Examples) / Math.Max(seconds, 1e-9):F1} | {v.SoftLoss:F4} | {v.HardLoss:F4} | {v.Alpha.MeanInsideTopK:F3} | {v.Alpha.MassOutsideTopK:F3} | [{rel}]({rel}) |");
        }
        md.AppendLine();
    }

    static RasterLineChart AblationChart(DemoPipeline demo)
    {
        var chart = new RasterLineChart($"Table 5: hard top-K val. loss, K = {demo.TightestKeep}", "step", "caption NLL") { Markers = true };
        foreach (var (config, run) in demo.Runs.Where(r => r.Config.Keep == demo.TightestKeep))
            chart.Add(config.Variant, run.Validations.Select(v => ((double)v.Step, v.HardLoss)));
        return chart;
    }

    static string Json(DemoPipeline demo, EvaluationTable table, ProfileTable profile) => JsonSerializer.Serialize(new
    {
        model = demo.ModelName,
        options = demo.Options,
        seconds = demo.Seconds,
        table1 = JsonDocument.Parse(EvaluationReport.Json(table)).RootElement,
        table5 = demo.Ablations.Select(a => new
        {
            variant = a.Variant,
            replaced = a.Replaced,
            logitScale = a.LogitScale.ToString(),
            keep = a.Keep,
            retention = a.Retention,
            retentionInterval = EvaluationReport.JsonInterval(a.RetentionInterval),
            difference = EvaluationReport.JsonDifference(a.Difference),
            retentionPaperSuites = a.PaperRetention,
            retentionPaperSuitesInterval = EvaluationReport.JsonInterval(a.PaperRetentionInterval),
            paper = PaperTable5[a.Variant] / 100,
            alpha = a.Alpha,
            softLoss = a.SoftLoss,
            hardLoss = a.HardLoss,
            scores = a.Scores.ToDictionary(s => s.Suite.DisplayName(), s => s.Value),
        }),
        table4 = JsonDocument.Parse(ProfileReport.Json([profile])).RootElement,
        training = demo.Runs.Select(r => new { variant = r.Config.Variant, keep = r.Config.Keep, dir = r.Run.Dir, steps = r.Run.Steps.Count, validations = r.Run.Validations }),
    }, new JsonSerializerOptions(JsonLines.Options) { WriteIndented = true });
}
