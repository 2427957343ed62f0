using System.CommandLine;
using System.Globalization;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Eval;
using DiffPrune.Eval.Reports;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Pruning.Training;
using DiffPrune.Data.Images;

namespace DiffPrune.Cli.Commands;

/// <summary><c>diffprune train</c>: trains a DiffPrune pruner (or an ablation) on a frozen base VLM and reports it.</summary>
internal static class TrainCommand
{
    const string CheckpointName = "checkpoint.safetensors";

    public static Command Create()
    {
        var d = new PrunerTrainingOptions();
        var model = new Option<DirectoryInfo>("--model") { Description = "Base VLM folder (config.json, model.safetensors, tokenizer.txt), e.g. the output of pretrain", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Run folder: checkpoint, logs, report, best pruner under pruner/", DefaultValueFactory = _ => new DirectoryInfo("runs/train") };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its checkpoint (same options required)" };
        var keep = new Option<int?>("--keep") { Description = "Tokens kept per image (default N/9, the paper's 64 of 576)" };
        var steps = new Option<int>("--steps") { Description = "Training steps", DefaultValueFactory = _ => d.Steps };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate", DefaultValueFactory = _ => d.LearningRate };
        var throttler = new Option<ThrottlerKind>("--throttler") { Description = "VpNoise (DiffPrune), ScaleGate or GumbelSte (GumbelDiffPrune)", DefaultValueFactory = _ => d.Throttler };
        var denoiser = new Option<DenoiserAttention>("--denoiser") { Description = "Diagonal (DiffPrune) or Global (ablation)", DefaultValueFactory = _ => d.Denoiser };
        var seed = new Option<ulong>("--seed") { Description = "Seed of weights, data and noise", DefaultValueFactory = _ => d.Seed };
        var pool = new Option<int>("--feature-pool") { Description = "Training scenes encoded once and drawn from at every step (0: fresh scenes every step)", DefaultValueFactory = _ => d.FeaturePool };
        var testScenes = new Option<int>("--test-scenes") { Description = "Test scenes scored at the end (unpruned, trained pruner, random)", DefaultValueFactory = _ => 100 };
        var cmd = new Command("train", "Train a DiffPrune pruner (scorer + Soft Top-K + VP-Noise + diagonal denoiser) on captions through a frozen base VLM.")
        {
            model, output, resume, keep, steps, lr, throttler, denoiser, seed, pool, testScenes,
        };
        cmd.SetAction(r => Run(r.GetValue(model)!, r.GetValue(output)!, r.GetValue(resume), r.GetValue(keep), r.GetValue(testScenes),
            d with { Steps = r.GetValue(steps), LearningRate = r.GetValue(lr), Throttler = r.GetValue(throttler), Denoiser = r.GetValue(denoiser), Seed = r.GetValue(seed), FeaturePool = r.GetValue(pool) }));
        return cmd;
    }

    static int Run(DirectoryInfo modelDir, DirectoryInfo outDir, bool resume, int? keep, int testScenes, PrunerTrainingOptions options)
    {
        if (testScenes < 1) throw new ArgumentException($"--test-scenes must be at least 1 (got {testScenes})");
        var (vlm, tokenizer) = ModelFolder.Load(modelDir.FullName);
        int n = vlm.Config.Vision.NumPatches;
        options = options with { Keep = keep ?? n / 9 };
        var scenes = SceneOptions.ForGrid(n);
        var checkpoint = Path.Combine(outDir.FullName, CheckpointName);
        if (!resume && File.Exists(checkpoint)) throw new ArgumentException($"{checkpoint} exists: pass --resume to continue that run, or choose another --out");
        var trainer = resume ? PrunerTrainer.Resume(checkpoint, vlm, tokenizer, scenes, options) : PrunerTrainer.Create(vlm, tokenizer, scenes, options);
        Directory.CreateDirectory(outDir.FullName);
        var stepsLog = Path.Combine(outDir.FullName, "log.jsonl");
        var validationLog = Path.Combine(outDir.FullName, "validation.jsonl");
        var steps = JsonLines.Read<PrunerStepReport>(stepsLog).Where(s => s.Step < trainer.Step).ToList();
        var validations = JsonLines.Read<PrunerValidation>(validationLog).Where(v => v.Step <= trainer.Step).ToList();
        JsonLines.Write(stepsLog, steps);
        JsonLines.Write(validationLog, validations);
        Console.Error.WriteLine($"train: {options.Throttler} throttler, {options.Denoiser} denoiser, K = {options.Keep} of {n}, {options.Steps} steps, " +
            (trainer.Step > 0 ? $"resuming at step {trainer.Step}" : "from scratch") + $"; writing to {outDir.FullName}");
        TrainingProgress.Run("train", options.Steps, trainer.Step, () => trainer.Done, () =>
        {
            var report = trainer.TrainStep();
            steps.Add(report);
            JsonLines.Append(stepsLog, report);
            if (trainer.Step % options.EvalEvery == 0 || trainer.Step == options.Steps)
            {
                var v = trainer.Validate();
                validations.Add(v);
                JsonLines.Append(validationLog, v);
                if (v.Best) trainer.ToPruner().Save(Path.Combine(outDir.FullName, "pruner"));
                trainer.SaveCheckpoint(checkpoint);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"step {v.Step}: validation loss soft {v.SoftLoss:F4}, hard top-K {v.HardLoss:F4}{(v.Best ? " (best)" : "")}; α in top-K {v.Alpha.MeanInsideTopK:F3}, outside {v.Alpha.MassOutsideTopK:F3}"));
            }
            var line = string.Create(CultureInfo.InvariantCulture, $"step {report.Step} loss {report.Loss:F3} τ {report.Tau:F2} lr {report.LearningRate:E1} {report.Examples / report.Seconds:F1} ex/s");
            return new TrainingProgress.Update(trainer.Step, line, report.Step % 25 == 0);
        });
        Finish(vlm, tokenizer, scenes, outDir.FullName, options, steps, validations, testScenes);
        return 0;
    }

    static void Finish(LlavaModel vlm, WordTokenizer tokenizer, SceneOptions scenes, string outDir, PrunerTrainingOptions options,
        List<PrunerStepReport> steps, List<PrunerValidation> validations, int testScenes)
    {
        var best = TokenPruner.Load(Path.Combine(outDir, "pruner"));
        int n = vlm.Config.Vision.NumPatches;
        Console.Error.WriteLine($"scoring {testScenes} test scenes: unpruned, the best pruner ({outDir}/pruner), random {options.Keep}/{n}");
        var evaluator = new SceneBenchEvaluator(vlm, tokenizer, ImageNormalization.Clip, batchSize: 32);
        var test = new SceneBench(scenes).Split(SceneSplit.Test, testScenes).ToList();
        var scores = new Dictionary<string, IReadOnlyList<SuiteScore>>
        {
            ["unpruned"] = evaluator.Evaluate(test),
            [$"{options.Throttler} {options.Keep}/{n}"] = evaluator.Evaluate(test, best.Prune),
            [$"random {options.Keep}/{n}"] = evaluator.Evaluate(test, new RandomPruner(options.Keep, options.Seed).Prune),
        };
        PrunerTrainingReport.Write(outDir, options, steps, validations, scores);
        var unpruned = scores["unpruned"];
        foreach (var (name, list) in scores)
            Console.WriteLine($"{name,-22} average {list.Average(s => s.Value) * 100,5:F1} %   retention {RetentionText.Describe(list, unpruned)}");
    }
}
