using DiffPrune.Tensors.IO;
using System.CommandLine;
using System.Globalization;
using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Eval;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Training.Pruner;

namespace DiffPrune.Cli.Commands;

/// <summary><c>diffprune train</c>: trains a DiffPrune pruner (or an ablation) on a frozen base VLM and reports it.</summary>
internal static class TrainCommand
{

    public static Command Create()
    {
        var d = new PrunerTrainingOptions();
        var model = ShippedModel.Option();
        var output = new Option<DirectoryInfo>("--out") { Description = "Run folder: checkpoint, logs, report, best pruner under pruner/", DefaultValueFactory = _ => new DirectoryInfo("runs/train") };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its checkpoint (same options required)" };
        var keep = new Option<int?>("--keep") { Description = "Tokens kept per image (default N/9, the paper's 64 of 576)" };
        var steps = new Option<int>("--steps") { Description = "Training steps", DefaultValueFactory = _ => d.Steps };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate", DefaultValueFactory = _ => d.LearningRate };
        var throttler = new Option<ThrottlerKind>("--throttler") { Description = "VpNoise (DiffPrune), ScaleGate or GumbelSte (GumbelDiffPrune)", DefaultValueFactory = _ => d.Throttler };
        var denoiser = new Option<DenoiserAttention>("--denoiser") { Description = "Diagonal (DiffPrune) or Global (ablation)", DefaultValueFactory = _ => d.Denoiser };
        var seed = new Option<ulong>("--seed") { Description = "Seed of weights, data and noise", DefaultValueFactory = _ => d.Seed };
        var pool = new Option<int>("--feature-pool") { Description = "Training scenes encoded once and drawn from at every step (0: fresh scenes every step)", DefaultValueFactory = _ => d.FeaturePool };
        var batch = new Option<int>("--batch-size") { Description = "Captions per step", DefaultValueFactory = _ => d.BatchSize };
        var tauStart = new Option<double>("--tau-start") { Description = "τ at step 0", DefaultValueFactory = _ => d.TauStart };
        var tauEnd = new Option<double>("--tau-end") { Description = "τ at the end of its cosine schedule", DefaultValueFactory = _ => d.TauEnd };
        var tauSteps = new Option<int>("--tau-steps") { Description = "Steps of the τ schedule (a shorter run anneals over its own length)", DefaultValueFactory = _ => d.TauSteps };
        var logitScale = new Option<LogitScale>("--logit-scale") { Description = "What τ divides: Raw logits, or each image's Standardized logits", DefaultValueFactory = _ => d.LogitScale };
        var evalEvery = new Option<int>("--eval-every") { Description = "Steps between validations and checkpoints", DefaultValueFactory = _ => d.EvalEvery };
        var patience = new Option<int>("--patience") { Description = "Validations without a better hard-top-K loss before stopping early", DefaultValueFactory = _ => d.Patience };
        var validationScenes = new Option<int>("--validation-scenes") { Description = "Validation captions", DefaultValueFactory = _ => d.ValidationScenes };
        var questions = new Option<bool>("--with-questions") { Description = "Train on the suites' questions as well as the captions (the paper: captions only)" };
        var testScenes = new Option<int>("--test-scenes") { Description = "Test scenes scored at the end (unpruned, trained pruner, random)", DefaultValueFactory = _ => 100 };
        var cmd = new Command("train", "Train a DiffPrune pruner (scorer + Soft Top-K + VP-Noise + diagonal denoiser) on captions through a frozen base VLM.")
        {
            model, output, resume, keep, steps, lr, throttler, denoiser, seed, pool, batch, tauStart, tauEnd, tauSteps, logitScale, evalEvery, patience, validationScenes, questions, testScenes,
        };
        cmd.SetAction(r => Run(r.GetValue(model)!, r.GetValue(output)!, r.GetValue(resume), r.GetValue(keep), r.GetValue(testScenes),
            d with
            {
                Steps = r.GetValue(steps),
                LearningRate = r.GetValue(lr),
                Throttler = r.GetValue(throttler),
                Denoiser = r.GetValue(denoiser),
                Seed = r.GetValue(seed),
                FeaturePool = r.GetValue(pool),
                BatchSize = r.GetValue(batch),
                TauStart = r.GetValue(tauStart),
                TauEnd = r.GetValue(tauEnd),
                TauSteps = r.GetValue(tauSteps),
                LogitScale = r.GetValue(logitScale),
                EvalEvery = r.GetValue(evalEvery),
                Patience = r.GetValue(patience),
                ValidationScenes = r.GetValue(validationScenes),
                WithQuestions = r.GetValue(questions)
            }));
        return cmd;
    }

    static int Run(DirectoryInfo modelDir, DirectoryInfo outDir, bool resume, int? keep, int testScenes, PrunerTrainingOptions options)
    {
        CommandLimits.Scenes(testScenes, "--test-scenes");
        CommandLimits.Scenes(options.ValidationScenes, "--validation-scenes");
        CommandLimits.Batch(options.BatchSize, "--batch-size");
        using var folder = RunFolderLock.Acquire(outDir.FullName);
        var (vlm, tokenizer) = ModelFolder.Load(modelDir.FullName);
        int n = vlm.Config.Vision.NumPatches;
        options = options with { Keep = keep ?? n / 9 };
        var scenes = SceneOptions.ForGrid(n);
        var run = PrunerTrainingRun.Start(vlm, tokenizer, scenes, options, outDir.FullName, resume);
        Console.Error.WriteLine($"train: {options.Throttler} throttler, {options.Denoiser} denoiser, K = {options.Keep} of {n}, {options.Steps} steps, " +
            (run.Trainer.Step > 0 ? $"resuming at step {run.Trainer.Step}" : "from scratch") + $"; writing to {outDir.FullName}");
        TrainingProgress.Run("train", options.Steps, run.Trainer.Step, () => run.Done, () =>
        {
            var (report, validation) = run.Next();
            if (validation != null) Console.Error.WriteLine(PrunerTrainingRun.Describe(validation));
            return new TrainingProgress.Update(run.Trainer.Step, PrunerTrainingRun.Describe(report), report.Step % 25 == 0);
        });
        Finish(vlm, tokenizer, scenes, run, testScenes);
        return 0;
    }

    static void Finish(LlavaModel vlm, WordTokenizer tokenizer, SceneOptions scenes, PrunerTrainingRun run, int testScenes)
    {
        var options = run.Trainer.Options;
        var best = TokenPruner.Load(run.PrunerDir);
        int n = vlm.Config.Vision.NumPatches;
        Console.Error.WriteLine($"scoring {testScenes} test scenes: unpruned, the best pruner ({run.PrunerDir}), random {options.Keep}/{n}");
        var evaluator = new SceneBenchEvaluator(new VlmInference(vlm), tokenizer, batchSize: 32);
        var test = new SceneBench(scenes).Split(SceneSplit.Test, testScenes).ToList();
        var scores = new Dictionary<string, IReadOnlyList<SuiteScore>>
        {
            ["unpruned"] = evaluator.Evaluate(test),
            [$"{options.Throttler} {options.Keep}/{n}"] = evaluator.Evaluate(test, best),
            [$"random {options.Keep}/{n}"] = evaluator.Evaluate(test, new RandomPruner(options.Keep, options.Seed)),
        };
        run.WriteReport(scores);
        var unpruned = scores["unpruned"];
        foreach (var (name, list) in scores)
            Console.WriteLine($"{name,-22} average {list.Average(s => s.Value) * 100,5:F1} %   retention {RetentionText.Describe(list, unpruned)}");
    }
}
