using DiffPrune.Tensors.IO;
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
        var seed = new Option<ulong>("--seed") { Description = "Seed of the first run's weights, mini-batches and noise (same seed, same numbers); further runs take the next seeds", DefaultValueFactory = _ => d.Seed };
        var seeds = new Option<int?>("--seeds") { Description = $"Independent runs (seeds --seed, --seed + 1, …); every measurement is reported as mean ± sd over them (default {d.Seeds}; --quick {ProbeOptions.Quick.Seeds})" };
        var erasing = new Option<double?>("--random-erasing") { Description = $"Probability that a classifier training image gets a rectangle of per-pixel Gaussian noise (DeiT-Base: {d.ClassifierErasing.Probability}, the default; 0 turns it off)" };
        var keep = new Option<int?>("--keep") { Description = $"Tokens the scorers keep, 1..{d.Tokens - 1} (default {d.Keep} of {d.Tokens}: 70 % pruned)" };
        var data = new Option<DirectoryInfo?>("--data") { Description = "Folder with the Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist, from apt-get install dataset-fashion-mnist)" };
        var classifierSteps = new Option<int?>("--classifier-steps") { Description = $"Classifier training steps per encoder (default {d.ClassifierSteps})" };
        var scorerSteps = new Option<int?>("--scorer-steps") { Description = $"Scorer training steps per method (default {d.ScorerSteps})" };
        var grid = new Option<int?>("--grid") { Description = $"Loss-slice grid points per axis, odd (default {d.LandscapeGrid})" };
        var testImages = new Option<int?>("--test-images") { Description = $"Test images for Fig. 4b and the accuracies (default {d.AccuracyImages})" };
        var cmd = new Command("probe", "Pilot studies of the paper (§3, Fig. 1c, 2, 4b) on a DeiT-style ViT with Fashion-MNIST: gradient coherence and loss landscape of DiffPrune vs Gumbel-STE, VP-Noise vs hard top-K.")
        {
            output, quick, seed, seeds, erasing, keep, data, classifierSteps, scorerSteps, grid, testImages,
        };
        cmd.SetAction(r =>
        {
            var o = r.GetValue(quick) ? ProbeOptions.Quick : d;
            o = o with
            {
                Seed = r.GetValue(seed),
                Seeds = r.GetValue(seeds) ?? o.Seeds,
                ClassifierErasing = o.ClassifierErasing with { Probability = r.GetValue(erasing) ?? o.ClassifierErasing.Probability },
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
        using var folder = RunFolderLock.Acquire(outDir.FullName);
        var probe = new PilotProbe(options, train, test);
        Console.Error.WriteLine($"probe: {string.Join(", ", options.Encoders)}; K = {options.Keep} of {options.Tokens}; {(options.Seeds == 1 ? $"seed {options.Seed}" : $"seeds {options.Seed}..{options.Seed + (ulong)options.Seeds - 1}")}; writing to {outDir.FullName}");
        using var steps = probe.Run().GetEnumerator();
        bool finished = false;
        int written = 0;   // seeds in the report on disk: it is rewritten after every seed, so a long run can be read (or stopped) early
        var inv = CultureInfo.InvariantCulture;
        TrainingProgress.Run("probe", (int)Math.Min(probe.TotalWork, int.MaxValue), 0, () => finished, () =>
        {
            if (!steps.MoveNext())
            {
                finished = true;
                return new TrainingProgress.Update((int)Math.Min(probe.TotalWork, int.MaxValue), "probe done", false);
            }
            var p = steps.Current;
            if (probe.Result is { } partial && partial.Seeds.Count > written && partial.Seeds.Count < options.Seeds)
            {
                ProbeReport.Write(outDir.FullName, partial);
                written = partial.Seeds.Count;
            }
            return new TrainingProgress.Update((int)Math.Min(p.Work, int.MaxValue), p.Line, p.Print);
        });
        var result = probe.Result!;
        var files = ProbeReport.Write(outDir.FullName, result);
        foreach (var s in ProbeSeedsSection.Summaries(result))
            Console.WriteLine(string.Create(inv,
                $"{s.Encoder.Name,-6} test top-1 {s.Top1.Mean * 100:F1} %  coherence ratio {s.CoherenceRatio.Format("F1", "×")} (paper {ProbeReport.PaperCoherenceRatio}×)  " +
                $"loss variation ratio {s.VariationRatio.Format("F1", "×")} (paper ≈{ProbeReport.PaperVariationRatio}×)  " +
                $"Fig. 4b VP-Noise − hard top-1 {string.Join(", ", s.Gaps.Select(g => $"{g.Top1Gap.Format("+0.0;-0.0;0")} pts at {g.KeepFraction * 100:0} %"))} (paper ≈ 0)"));
        Console.WriteLine(string.Create(inv, $"{result.Seconds / 60:F1} min; report: {files[0]}"));
        return 0;
    }
}
