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
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for report.md, report.json and the PNG figures", DefaultValueFactory = _ => new DirectoryInfo("runs/probe") };
        var quick = new Option<bool>("--quick") { Description = "A CI-sized probe (well under a minute): same measurements, tiny models and data; numbers are a smoke test" };
        var resume = new Option<bool>("--resume") { Description = "Continue the probe in --out: seeds it finished (seeds.jsonl) are restored, the others run (same options required; --seeds may differ)" };
        var stopAfter = new Option<int?>("--stop-after") { Description = "Stop once this many seeds of the run are finished (logged and in the report); continue later with --resume" };
        var cmd = new Command("probe", "Pilot studies of the paper (§3, Fig. 1c, 2, 4b) on a DeiT-style ViT with Fashion-MNIST: gradient coherence and loss landscape of DiffPrune vs Gumbel-STE, VP-Noise vs hard top-K.")
        {
            output, quick, resume, stopAfter,
        };
        var inv = CultureInfo.InvariantCulture;
        var options = new RecordOptions<ProbeOptions>(cmd, new ProbeOptions(), ("--quick", ProbeOptions.Quick))
            .Add("--seed", "Seed of the first run's weights, mini-batches and noise (same seed, same numbers); further runs take the next seeds", o => o.Seed, (o, v) => o with { Seed = v })
            .Add("--seeds", "Independent runs (seeds --seed, --seed + 1, …); every measurement is reported as mean ± sd over them", o => o.Seeds, (o, v) => o with { Seeds = v })
            .Add("--encoders", "Encoder sizes, smallest first, as name:width:depth:heads,…", o => string.Join(",", o.Encoders.Select(e => $"{e.Name}:{e.Width}:{e.Depth}:{e.Heads}")), (o, v) => o with { Encoders = ParseList("--encoders", v, "name:width:depth:heads,… (e.g. tiny:32:2:2)", Encoder) })
            .Add("--keep", "Tokens the scorers keep, 1..N − 1 (N = 196; the paper's 58: 70 % pruned)", o => o.Keep, (o, v) => o with { Keep = v })
            .Add("--data", "Folder with the Fashion-MNIST IDX files (empty: /usr/share/datasets/fashion-mnist, from apt-get install dataset-fashion-mnist)", o => o.DataDirectory, (o, v) => o with { DataDirectory = v == null ? null : Path.GetFullPath(v) })
            .Add("--classifier-steps", "Classifier training steps per encoder", o => o.ClassifierSteps, (o, v) => o with { ClassifierSteps = v })
            .Add("--classifier-batch", "Images per classifier step", o => o.ClassifierBatch, (o, v) => o with { ClassifierBatch = v })
            .AddOptimizer(o => o.ClassifierOptimizer, (o, v) => o with { ClassifierOptimizer = v }, "classifier-", " of the classifier")
            .Add("--random-erasing", "Probability that a classifier training image gets a rectangle of per-pixel Gaussian noise (DeiT-Base's; 0 turns it off)", o => o.ClassifierErasing.Probability, (o, v) => o with { ClassifierErasing = o.ClassifierErasing with { Probability = v } })
            .Add("--random-erasing-min-area", "Smallest erased share of the image", o => o.ClassifierErasing.MinArea, (o, v) => o with { ClassifierErasing = o.ClassifierErasing with { MinArea = v } })
            .Add("--random-erasing-max-area", "Largest erased share of the image", o => o.ClassifierErasing.MaxArea, (o, v) => o with { ClassifierErasing = o.ClassifierErasing with { MaxArea = v } })
            .Add("--random-erasing-min-aspect", "Smallest aspect ratio of an erased rectangle", o => o.ClassifierErasing.MinAspect, (o, v) => o with { ClassifierErasing = o.ClassifierErasing with { MinAspect = v } })
            .Add("--random-erasing-max-aspect", "Largest aspect ratio of an erased rectangle", o => o.ClassifierErasing.MaxAspect, (o, v) => o with { ClassifierErasing = o.ClassifierErasing with { MaxAspect = v } })
            .Add("--standardizer-images", "Training images whose patch tokens fix the standardiser's channel statistics", o => o.StandardizerImages, (o, v) => o with { StandardizerImages = v })
            .Add("--scorer-hidden-ratio", "Scorer hidden units per token channel", o => o.ScorerHiddenRatio, (o, v) => o with { ScorerHiddenRatio = v })
            .Add("--scorer-steps", "Scorer training steps per method", o => o.ScorerSteps, (o, v) => o with { ScorerSteps = v })
            .Add("--scorer-batch", "Images per scorer step", o => o.ScorerBatch, (o, v) => o with { ScorerBatch = v })
            .AddOptimizer(o => o.ScorerOptimizer, (o, v) => o with { ScorerOptimizer = v }, "scorer-", " of the scorers")
            .Add("--tau-start", "τ at the first scorer step", o => o.TauStart, (o, v) => o with { TauStart = v })
            .Add("--tau-end", "τ at the last scorer step", o => o.TauEnd, (o, v) => o with { TauEnd = v })
            .Add("--coherence-checkpoints", "Points along scorer training where gradient coherence is measured", o => o.CoherenceCheckpoints, (o, v) => o with { CoherenceCheckpoints = v })
            .Add("--coherence-batches", "Mini-batches whose gradients are compared at each point", o => o.CoherenceBatches, (o, v) => o with { CoherenceBatches = v })
            .Add("--coherence-batch-size", "Images per coherence mini-batch", o => o.CoherenceBatchSize, (o, v) => o with { CoherenceBatchSize = v })
            .Add("--grid", "Loss-slice grid points per axis, odd", o => o.LandscapeGrid, (o, v) => o with { LandscapeGrid = v })
            .Add("--landscape-range", "Half-width of the loss slice along each filter-normalised direction", o => o.LandscapeRange, (o, v) => o with { LandscapeRange = v })
            .Add("--landscape-images", "Images of the loss slice's fixed batch", o => o.LandscapeImages, (o, v) => o with { LandscapeImages = v })
            .Add("--test-images", "Test images for Fig. 4b and the accuracies", o => o.AccuracyImages, (o, v) => o with { AccuracyImages = v })
            .Add("--keep-fractions", "Kept shares of N in Fig. 4b, comma-separated", o => string.Join(",", o.KeepFractions.Select(f => f.ToString(inv))), (o, v) => o with { KeepFractions = ParseList("--keep-fractions", v, "comma-separated numbers", f => double.Parse(f, inv)) })
            .Add("--accuracy-tau", "τ of the Soft Top-K that turns Fig. 4b's random scores into VP-Noise weights", o => o.AccuracyTau, (o, v) => o with { AccuracyTau = v });
        cmd.SetAction(r => Run(r.GetValue(output)!, options.Bind(r, r.GetValue(quick) ? ProbeOptions.Quick : new ProbeOptions()), r.GetValue(resume), r.GetValue(stopAfter)));
        return cmd;
    }

    static ProbeEncoder Encoder(string e) => e.Split(':') is [var n, var w, var d, var h]
        ? new(n, int.Parse(w, CultureInfo.InvariantCulture), int.Parse(d, CultureInfo.InvariantCulture), int.Parse(h, CultureInfo.InvariantCulture)) : throw new FormatException();

    static T[] ParseList<T>(string option, string text, string form, Func<string, T> parse)
    {
        try { return text.Split(',').Select(parse).ToArray(); }
        catch (Exception e) when (e is FormatException or OverflowException) { throw new ArgumentException($"{option}: '{text}' is not {form}"); }
    }

    static int Run(DirectoryInfo outDir, ProbeOptions options, bool resume, int? stopAfter)
    {
        options.Validate();
        if (stopAfter is < 1) throw new ArgumentException($"--stop-after must be at least 1 seed (got {stopAfter})");
        var (train, test) = ProbeImages.Load(options.DataDirectory);   // before any folder exists: a missing dataset leaves nothing behind
        using var folder = RunFolderLock.Acquire(outDir.FullName);
        var log = ProbeLog.Open(outDir.FullName, options, resume);
        var probe = new PilotProbe(options, train, test);
        Console.Error.WriteLine($"probe: {string.Join(", ", options.Encoders)}; K = {options.Keep} of {options.Tokens}; {(options.Seeds == 1 ? $"seed {options.Seed}" : $"seeds {options.Seed}..{options.Seed + (ulong)options.Seeds - 1}")}; " +
            $"{(log.Finished.Count > 0 ? $"{log.Finished.Count} restored from {ProbeLog.FileName}; " : "")}writing to {outDir.FullName}");
        using var steps = probe.Run(log.Finished).GetEnumerator();
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
            if (probe.Result is { } partial && partial.Seeds.Count > written)
            {
                log.Add(partial);
                written = partial.Seeds.Count;
                finished = written == options.Seeds || written >= stopAfter;
                if (!finished) ProbeReport.Write(outDir.FullName, partial);
            }
            return new TrainingProgress.Update((int)Math.Min(p.Work, int.MaxValue), p.Line, p.Print);
        });
        var result = probe.Result!;
        var files = ProbeReport.Write(outDir.FullName, result);
        if (result.Seeds.Count < options.Seeds)
        {
            Console.Error.WriteLine($"stopped after {result.Seeds.Count} of {options.Seeds} seeds: {files[0]} holds their report; continue with --resume");
            return 0;
        }
        foreach (var s in ProbeSeedsSection.Summaries(result))
            Console.WriteLine(string.Create(inv,
                $"{s.Encoder.Name,-6} test top-1 {s.Top1.Mean * 100:F1} %  coherence ratio {s.CoherenceRatio.Format("F1", "×")} (paper {ProbeReport.PaperCoherenceRatio}×)  " +
                $"loss variation ratio {s.VariationRatio.Format("F1", "×")} (paper ≈{ProbeReport.PaperVariationRatio}×)  " +
                $"Fig. 4b VP-Noise − hard top-1 {string.Join(", ", s.Gaps.Select(g => $"{g.Top1Gap.Format("+0.0;-0.0;0")} pts at {g.KeepFraction * 100:0} %"))} (paper ≈ 0)"));
        Console.WriteLine(string.Create(inv, $"{result.Seconds / 60:F1} min; report: {files[0]}"));
        return 0;
    }
}
