using System.Globalization;
using System.Text;
using System.Text.Json;
using DiffPrune.Data.Scenes;
using DiffPrune.Reporting;
using DiffPrune.Reporting.Plots;
using DiffPrune.Tensors.IO;

namespace DiffPrune.Training.Pretraining;

/// <summary>Writes a finished run's report into its folder: report.md, report.json, loss.png and accuracy.png.</summary>
public static class PretrainReport
{
    /// <summary>Per-stage throughput and end-of-stage training numbers.</summary>
    public sealed record StageSummary(PretrainStage Stage, int Steps, double Seconds, double ExamplesPerSecond, double FinalLoss, double FinalAccuracy, int SkippedSteps);

    /// <summary>Summaries of the stages present in <paramref name="log"/> (final loss/accuracy: mean of the last 50 steps).</summary>
    public static IReadOnlyList<StageSummary> Summarize(PretrainLog log) =>
        log.Steps.GroupBy(s => s.Stage).Select(g =>
        {
            var tail = g.TakeLast(50).ToList();
            double seconds = g.Sum(s => s.Seconds);
            return new StageSummary(g.Key, g.Count(), seconds, g.Sum(s => s.Examples) / Math.Max(seconds, 1e-9),
                tail.Average(s => s.Loss), tail.Average(s => s.Accuracy), g.Count(s => s.Skipped));
        }).ToList();

    /// <summary>Writes the report for <paramref name="test"/> scores (unpruned) and any extra rows (e.g. a pruned check).</summary>
    public static void Write(string dir, PretrainOptions options, PretrainLog log, IReadOnlyList<SuiteScore> test, double testSeconds,
        IReadOnlyDictionary<string, IReadOnlyList<SuiteScore>>? extra = null, IReadOnlyList<ImageReliance>? reliance = null)
    {
        var stages = Summarize(log);
        var inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.Append("# Base VLM pretraining\n\n");
        md.Append(inv, $"{log.Steps.Count} steps in {stages.Sum(s => s.Seconds) / 60:F1} min of training steps on {options.Scenes.Configuration.Name()} SceneBench scenes. Options:\n\n```\n{options.Describe()}```\n\n");
        md.Append("| stage | steps | minutes | examples/s | loss (last 50) | accuracy (last 50) | skipped |\n| --- | --- | --- | --- | --- | --- | --- |\n");
        foreach (var s in stages)
            md.Append(inv, $"| {s.Stage} | {s.Steps} | {s.Seconds / 60:F1} | {s.ExamplesPerSecond:F1} | {s.FinalLoss:F3} | {s.FinalAccuracy:F3} | {s.SkippedSteps} |\n");
        md.Append("\nAccuracy: stage Vision = colour on object patches; the other stages = answer tokens under teacher forcing.\n\n");
        foreach (var v in log.Evaluations.Where(e => e.Vision != null))
            md.Append(inv, $"Vision tower after step {v.Step} (validation, object patches): colour {v.Vision!.Color:F3}, shape {v.Vision.Shape:F3}, size {v.Vision.Size:F3}, digit {v.Vision.Digit:F3}, region {v.Vision.Region:F3}, anchor patches (balanced) {v.Vision.Anchor:F3}, objects present (balanced) {v.Vision.Present:F3}{(double.IsNaN(v.Vision.Position) ? "" : $", row and column {v.Vision.Position:F3}")}.\n\n");
        var rows = new List<(string Name, IReadOnlyList<SuiteScore> Scores)> { ("unpruned", test) };
        if (extra != null) rows.AddRange(extra.Select(p => (p.Key, p.Value)));
        md.Append(inv, $"## Test scores ({test.Max(s => s.Items)} items per suite at most; scored in {testSeconds:F0} s)\n\n| | ");
        md.Append(string.Join(" | ", test.Select(s => s.Suite.DisplayName()))).Append(" | average |\n|");
        md.Append(string.Concat(Enumerable.Repeat(" --- |", test.Count + 2))).Append('\n');
        foreach (var (name, scores) in rows)
            md.Append(inv, $"| {name} | {string.Join(" | ", scores.Select(s => (s.Value * 100).ToString("F1", inv)))} | {scores.Average(s => s.Value) * 100:F1} |\n");
        if (extra != null)
            foreach (var (name, scores) in extra)
                md.Append(inv, $"\n{name}: average retention {RetentionText.Describe(scores, test)}.\n");
        var validation = log.Evaluations.Where(e => e.Kind == "validation").ToList();
        if (validation.Count > 0)
        {
            md.Append("\n## Validation during stage 2\n\n| step | average |\n| --- | --- |\n");
            foreach (var e in validation) md.Append(inv, $"| {e.Step} | {e.Average * 100:F1} |\n");
        }
        if (reliance != null)
        {
            md.Append("\n## Does the model read the image?\n\nAnswer-token loss on validation scenes with each scene's own image and with another scene's (equal: answered from the question alone).\n\n| task | own image | swapped image |\n| --- | --- | --- |\n");
            foreach (var r in reliance) md.Append(inv, $"| {r.Task} | {r.Matched:F3} | {r.Swapped:F3} |\n");
        }
        md.Append("\n![loss](loss.png)\n\n![accuracy](accuracy.png)\n");
        AtomicFile.WriteAllText(Path.Combine(dir, "report.md"), md.ToString());
        AtomicFile.WriteAllText(Path.Combine(dir, "report.json"), JsonSerializer.Serialize(new
        {
            bench = options.Scenes.Configuration.Name(),
            options = options.Describe(),
            stages,
            evaluations = log.Evaluations,
            test = test.ToDictionary(s => s.Suite.DisplayName(), s => s.Value),
            extra = extra?.ToDictionary(p => p.Key, p => p.Value.ToDictionary(s => s.Suite.DisplayName(), s => s.Value)),
            image_reliance = reliance,
        }, new JsonSerializerOptions(JsonLines.Options) { WriteIndented = true }));
        WriteCurves(dir, log);
    }

    static void WriteCurves(string dir, PretrainLog log)
    {
        var loss = new RasterLineChart("Training loss", "step", "loss") { LogY = true };
        var accuracy = new RasterLineChart("Training accuracy", "step", "accuracy");
        foreach (var g in log.Steps.GroupBy(s => s.Stage))
        {
            loss.Add(g.Key.ToString(), Smooth(g.Select(s => (s.Step, s.Loss))));
            accuracy.Add(g.Key.ToString(), Smooth(g.Select(s => (s.Step, s.Accuracy))));
        }
        var validation = log.Evaluations.Where(e => e.Kind == "validation").Select(e => ((double)e.Step, e.Average)).ToList();
        if (validation.Count > 0) accuracy.Add("validation average score", validation);
        loss.SavePng(Path.Combine(dir, "loss.png"));
        accuracy.SavePng(Path.Combine(dir, "accuracy.png"));
    }

    /// <summary>Mean over windows of 20 steps (step curves are noisy at these batch sizes).</summary>
    static IEnumerable<(double X, double Y)> Smooth(IEnumerable<(int Step, double Value)> points) =>
        points.Chunk(20).Select(c => (c.Average(p => (double)p.Step), c.Where(p => double.IsFinite(p.Value)).Select(p => p.Value).DefaultIfEmpty(double.NaN).Average()));
}
