using System.CommandLine;
using System.Globalization;
using DiffPrune.Probes;

namespace DiffPrune.Cli.Commands;

/// <summary><c>diffprune probe</c>: the paper's pilot studies (gradient coherence, loss landscape, Fig. 4b) on Fashion-MNIST.</summary>
internal static class ProbeCommand
{
    public static Command Create()
    {
        var d = new ProbeOptions();
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for report.md, report.json and the PNG figures", DefaultValueFactory = _ => new DirectoryInfo("runs/probe") };
        var quick = new Option<bool>("--quick") { Description = "A CI-sized probe (well under a minute): same measurements, tiny models and data; numbers are a smoke test" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of weights, mini-batches and noise (same seed, same numbers)", DefaultValueFactory = _ => d.Seed };
        var keep = new Option<int?>("--keep") { Description = $"Tokens the scorers keep, 1..{d.Tokens - 1} (default {d.Keep} of {d.Tokens}: 70 % pruned)" };
        var data = new Option<DirectoryInfo?>("--data") { Description = "Folder with the Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist, from apt-get install dataset-fashion-mnist)" };
        var classifierSteps = new Option<int?>("--classifier-steps") { Description = $"Classifier training steps per encoder (default {d.ClassifierSteps})" };
        var scorerSteps = new Option<int?>("--scorer-steps") { Description = $"Scorer training steps per method (default {d.ScorerSteps})" };
        var grid = new Option<int?>("--grid") { Description = $"Loss-slice grid points per axis, odd (default {d.LandscapeGrid})" };
        var testImages = new Option<int?>("--test-images") { Description = $"Test images for Fig. 4b and the accuracies (default {d.AccuracyImages})" };
        var cmd = new Command("probe", "Pilot studies of the paper (§3, Fig. 1c, 2, 4b) on a DeiT-style ViT with Fashion-MNIST: gradient coherence and loss landscape of DiffPrune vs Gumbel-STE, VP-Noise vs hard top-K.")
        {
            output, quick, seed, keep, data, classifierSteps, scorerSteps, grid, testImages,
        };
        cmd.SetAction(r =>
        {
            var o = r.GetValue(quick) ? ProbeOptions.Quick : d;
            o = o with
            {
                Seed = r.GetValue(seed),
                Keep = r.GetValue(keep) ?? o.Keep,
                DataDirectory = r.GetValue(data)?.FullName,
                ClassifierSteps = r.GetValue(classifierSteps) ?? o.ClassifierSteps,
                ScorerSteps = r.GetValue(scorerSteps) ?? o.ScorerSteps,
                LandscapeGrid = r.GetValue(grid) ?? o.LandscapeGrid,
                AccuracyImages = r.GetValue(testImages) ?? o.AccuracyImages,
            };
            return Run(r.GetValue(output)!, o);
        });
        return cmd;
    }

    static int Run(DirectoryInfo outDir, ProbeOptions options)
    {
        options.Validate();
        var (train, test) = ProbeImages.Load(options.DataDirectory);   // before any folder exists: a missing dataset leaves nothing behind
        var probe = new PilotProbe(options, train, test);
        Console.Error.WriteLine($"probe: {string.Join(", ", options.Encoders)}; K = {options.Keep} of {options.Tokens}; seed {options.Seed}; writing to {outDir.FullName}");
        using var steps = probe.Run().GetEnumerator();
        bool finished = false;
        var inv = CultureInfo.InvariantCulture;
        TrainingProgress.Run("probe", (int)Math.Min(probe.TotalWork, int.MaxValue), 0, () => finished, () =>
        {
            if (!steps.MoveNext())
            {
                finished = true;
                return new TrainingProgress.Update((int)Math.Min(probe.TotalWork, int.MaxValue), "probe done", false);
            }
            var p = steps.Current;
            return new TrainingProgress.Update((int)Math.Min(p.Work, int.MaxValue), p.Line, p.Print);
        });
        var result = probe.Result!;
        var files = ProbeReport.Write(outDir.FullName, result);
        foreach (var e in result.Encoders)
            Console.WriteLine(string.Create(inv,
                $"{e.Encoder.Name,-6} test top-1 {e.Top1 * 100:F1} %  coherence DiffPrune {e.Scorer(ProbeMethod.DiffPrune).MeanCoherence:F4} / Gumbel-STE {e.Scorer(ProbeMethod.GumbelSte).MeanCoherence:F4} = {ProbeReport.RatioText(e.CoherenceRatio)} (paper {ProbeReport.PaperCoherenceRatio}×)  " +
                $"loss variation ratio {ProbeReport.RatioText(e.VariationRatio)} (paper ≈{ProbeReport.PaperVariationRatio}×)"));
        Console.WriteLine(string.Create(inv, $"{result.Seconds / 60:F1} min; report: {files[0]}"));
        return 0;
    }
}
