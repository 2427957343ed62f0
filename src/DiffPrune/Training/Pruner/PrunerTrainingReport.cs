using System.Globalization;
using System.Text;
using System.Text.Json;
using DiffPrune.Data.Scenes;
using DiffPrune.Reporting;
using DiffPrune.Reporting.Plots;
using DiffPrune.Tensors.IO;

namespace DiffPrune.Training.Pruner;

/// <summary>Writes a pruner training run's report: report.md, report.json, curves.png (loss, τ, α) and validation.png.</summary>
public static class PrunerTrainingReport
{
    /// <summary>Writes the report into <paramref name="dir"/>; <paramref name="scores"/> maps a method name ("unpruned" first) to its test scores;
    /// <paramref name="bench"/> names the SceneBench configuration trained and tested on.</summary>
    public static void Write(string dir, PrunerTrainingOptions options, IReadOnlyList<PrunerStepReport> steps, IReadOnlyList<PrunerValidation> validations,
        IReadOnlyDictionary<string, IReadOnlyList<SuiteScore>> scores, SceneBenchConfiguration bench = SceneBenchConfiguration.Classic)
    {
        var inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder("# Pruner training\n\n");
        double seconds = steps.Sum(s => s.Seconds);
        md.Append(inv, $"{steps.Count} steps in {seconds / 60:F1} min ({steps.Sum(s => s.Examples) / Math.Max(seconds, 1e-9):F1} captions/s) on {bench.Name()} SceneBench scenes. Options:\n\n```\n{options.Describe()}```\n\n");
        if (steps.Count > 0)
        {
            var last = steps.TakeLast(20).ToList();
            md.Append(inv, $"Last 20 steps: loss {last.Average(s => s.Loss):F3}, τ {last[^1].Tau:F3}, mean α inside the top-K {last.Average(s => s.Alpha.MeanInsideTopK):F3}, α mass outside it {last.Average(s => s.Alpha.MassOutsideTopK):F3} (hard selection: 1 and 0), per-image logit spread (std) {last.Average(s => s.Alpha.LogitSpread ?? double.NaN):F3}, effective kept tokens {last.Average(s => s.Alpha.EffectiveTokens ?? double.NaN):F1} (K = {options.Keep}).\n\n");
        }
        if (validations.Count > 0)
        {
            md.Append("Validation losses from the training input to the deployed one: soft (α at the current τ), binary α (the other tokens still enter as denoised noise), hard top-K through the denoiser, hard top-K (deployed: the other tokens left out, no denoiser).\n\n");
            md.Append("| step | soft loss (training input) | binary α | hard top-K + denoiser | hard top-K loss (deployed) | mean α in top-K | α mass outside | effective tokens | logit spread | best |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
            foreach (var v in validations)
                md.Append(inv, $"| {v.Step} | {v.SoftLoss:F4} | {Loss(v.BinaryLoss)} | {Loss(v.DenoisedHardLoss)} | {v.HardLoss:F4} | {v.Alpha.MeanInsideTopK:F3} | {v.Alpha.MassOutsideTopK:F3} | {v.Alpha.EffectiveTokens:F1} | {v.Alpha.LogitSpread:F3} | {(v.Best ? "yes" : "")} |\n");
            md.Append('\n');
        }
        if (scores.Count > 0)
        {
            var first = scores.First().Value;
            md.Append("## Test scores\n\n| method | ").Append(string.Join(" | ", first.Select(s => s.Suite.DisplayName()))).Append(" | average | retention |\n|");
            md.Append(string.Concat(Enumerable.Repeat(" --- |", first.Count + 3))).Append('\n');
            foreach (var (name, list) in scores)
                md.Append(inv, $"| {name} | {string.Join(" | ", list.Select(s => (s.Value * 100).ToString("F1", inv)))} | {list.Average(s => s.Value) * 100:F1} | {RetentionText.Describe(list, first)} |\n");
        }
        md.Append("\n![curves](curves.png)\n\n![validation](validation.png)\n");
        AtomicFile.WriteAllText(Path.Combine(dir, "report.md"), md.ToString());
        AtomicFile.WriteAllText(Path.Combine(dir, "report.json"), JsonSerializer.Serialize(new
        {
            bench = bench.Name(),
            options = options.Describe(),
            validations,
            scores = scores.ToDictionary(p => p.Key, p => p.Value.ToDictionary(s => s.Suite.DisplayName(), s => s.Value)),
        }, new JsonSerializerOptions(JsonLines.Options) { WriteIndented = true }));
        if (steps.Count > 0)
            new RasterLineChart("Pruner training", "step", "value")
                .Add("loss", steps.Select(s => ((double)s.Step, s.Loss)))
                .Add("tau", steps.Select(s => ((double)s.Step, s.Tau)))
                .Add("mean alpha in top-K", steps.Select(s => ((double)s.Step, s.Alpha.MeanInsideTopK)))
                .Add("alpha mass outside", steps.Select(s => ((double)s.Step, s.Alpha.MassOutsideTopK)))
                .Add("logit spread (std per image)", steps.Select(s => ((double)s.Step, s.Alpha.LogitSpread ?? double.NaN))).SavePng(Path.Combine(dir, "curves.png"));
        if (validations.Count > 0)
            new RasterLineChart("Validation loss", "step", "caption NLL")
                .Add("soft (training input)", validations.Select(v => ((double)v.Step, v.SoftLoss)))
                .Add("binary alpha", validations.Select(v => ((double)v.Step, v.BinaryLoss ?? double.NaN)))
                .Add("hard top-K + denoiser", validations.Select(v => ((double)v.Step, v.DenoisedHardLoss ?? double.NaN)))
                .Add("hard top-K (deployed)", validations.Select(v => ((double)v.Step, v.HardLoss))).SavePng(Path.Combine(dir, "validation.png"));
    }

    // validations logged before these losses existed have none
    static string Loss(double? loss) => loss is { } l ? l.ToString("F4", CultureInfo.InvariantCulture) : "–";
}
