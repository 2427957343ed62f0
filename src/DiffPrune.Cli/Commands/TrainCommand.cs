using DiffPrune.Training.Pretraining;
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
using DiffPrune.Tensors;
using DiffPrune.Tensors.Distributed;
using DiffPrune.Training.Pruner;

namespace DiffPrune.Cli.Commands;

/// <summary><c>diffprune train</c>: trains a DiffPrune pruner (or an ablation) on a frozen base VLM and reports it.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var choice = new BaseModelChoice();
        var output = new Option<DirectoryInfo>("--out") { Description = "Run folder: checkpoint, logs, report, best pruner under pruner/", DefaultValueFactory = _ => new DirectoryInfo("runs/train") };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its checkpoint (same options required)" };
        var keep = new Option<int?>("--keep") { Description = "Tokens kept per image (default N/9, the paper's 64 of 576)" };
        var keepRate = new Option<string?>("--keep-rate") { Description = "Share of each image's own N_i kept instead, a fraction or decimal: K_i = round(rate × N_i) (needed for a native-resolution Qwen2.5-VL model; 1/9 is 88.9 % pruning)" };
        var init = new Option<DirectoryInfo?>("--init") { Description = "A trained pruner's folder (train's pruner/) whose scorer and denoiser the run starts from instead of fresh weights: fine-tuning (the paper: from scratch)" };
        var budgetMode = new BudgetModeOptions();
        var testScenes = new Option<int>("--test-scenes") { Description = "Test scenes scored at the end (unpruned, trained pruner, random)", DefaultValueFactory = _ => 100 };
        var cmd = new Command("train", "Train a DiffPrune pruner (scorer + Soft Top-K + VP-Noise + diagonal denoiser) on captions through a frozen base VLM.")
        {
            choice.Model, output, resume, init, keep, keepRate, testScenes, budgetMode.Mode, budgetMode.CalibrationScenes, choice.Bench,
        };
        var options = new RecordOptions<PrunerTrainingOptions>(cmd, new PrunerTrainingOptions())
            .Add("--steps", "Training steps", o => o.Steps, (o, v) => o with { Steps = v })
            .AddOptimizer(o => o.Optimizer, (o, v) => o with { Optimizer = v })
            .Add("--throttler", "VpNoise (DiffPrune), ScaleGate or GumbelSte (GumbelDiffPrune)", o => o.Throttler, (o, v) => o with { Throttler = v })
            .Add("--scorer-layers", "Transformer blocks of the scorer (the paper: 2)", o => o.ScorerLayers, (o, v) => o with { ScorerLayers = v })
            .Add("--candidates", "Tokens per image that reach the VLM in training: the top M by score, the rest left out as at deployment (0: all N as noise, the paper)",
                o => o.Candidates, (o, v) => o with { Candidates = v })
            .Add("--denoiser", "Diagonal (DiffPrune) or Global (ablation)", o => o.Denoiser, (o, v) => o with { Denoiser = v })
            .Add("--gated-denoiser", "The denoiser corrects each token by its noise share 1 − α, so kept tokens reach the VLM as at deployment (the paper: ungated)",
                o => o.GatedDenoiser, (o, v) => o with { GatedDenoiser = v })
            .Add("--seed", "Seed of weights, data and noise", o => o.Seed, (o, v) => o with { Seed = v })
            .Add("--feature-pool", "Training scenes encoded once and drawn from at every step (0: fresh scenes every step)", o => o.FeaturePool, (o, v) => o with { FeaturePool = v })
            .Add("--batch-size", "Captions per step", o => o.BatchSize, (o, v) => o with { BatchSize = v })
            .Add("--tau-start", "τ at step 0", o => o.TauStart, (o, v) => o with { TauStart = v })
            .Add("--tau-end", "τ at the end of its cosine schedule", o => o.TauEnd, (o, v) => o with { TauEnd = v })
            .Add("--tau-steps", "Steps of the τ schedule (a shorter run anneals over its own length)", o => o.TauSteps, (o, v) => o with { TauSteps = v })
            .Add("--logit-scale", "What τ divides: Raw logits, or each image's Standardized logits", o => o.LogitScale, (o, v) => o with { LogitScale = v })
            .Add("--standardizer-scenes", "Training scenes whose features fix the standardiser's channel statistics", o => o.StandardizerScenes, (o, v) => o with { StandardizerScenes = v })
            .Add("--validation-scenes", "Validation captions", o => o.ValidationScenes, (o, v) => o with { ValidationScenes = v })
            .Add("--eval-every", "Steps between validations (each also writes a checkpoint)", o => o.EvalEvery, (o, v) => o with { EvalEvery = v })
            .Add("--checkpoint-every", "Steps between checkpoints besides those at validations and at the end", o => o.CheckpointEvery, (o, v) => o with { CheckpointEvery = v })
            .Add("--patience", "Validations without a better hard-top-K loss before stopping early", o => o.Patience, (o, v) => o with { Patience = v })
            .Add("--with-questions", "Train on the suites' questions as well as the captions (the paper: captions only)", o => o.WithQuestions, (o, v) => o with { WithQuestions = v });
        cmd.SetAction(r =>
        {
            var (modelDir, bench) = choice.Resolve(r);
            var o = options.Bind(r, new PrunerTrainingOptions()) with { KeepRate = r.GetValue(keepRate) is { } rate ? BudgetFractions.ParseOne(rate) : null, InitFrom = r.GetValue(init)?.FullName };
            return Run(modelDir, r.GetValue(output)!, r.GetValue(resume), r.GetValue(keep), r.GetValue(testScenes), budgetMode.Parse(r), bench, o);
        });
        return cmd;
    }

    static int Run(DirectoryInfo modelDir, DirectoryInfo outDir, bool resume, int? keep, int testScenes, (BudgetMode Mode, int CalibrationScenes) budget,
        SceneBenchConfiguration bench, PrunerTrainingOptions options)
    {
        CommandLimits.Scenes(testScenes, "--test-scenes");
        CommandLimits.Scenes(options.ValidationScenes, "--validation-scenes");
        CommandLimits.Batch(options.BatchSize, "--batch-size");
        var world = Communicator.World;
        // rank 0 alone writes the run folder: an unusable --out stops the run now
        using var folder = world.IsRoot ? RunFolderLock.Acquire(outDir.FullName) : null;
        var (vlm, tokenizer) = ModelFolder.LoadAny(modelDir.FullName);
        BenchOption.WarnOnMismatch(modelDir, bench);
        var scenes = SceneVlm.Scenes(bench, vlm);
        // a native-resolution model's N is the mean over its validation images: its pruner's K when it runs at one budget
        int n = vlm.BudgetTokens ?? (int)Math.Round(new SceneBench(scenes).Split(SceneSplit.Validation, options.ValidationScenes).Average(e => vlm.TokenCount(e.Scene.Image)));
        options = options with { Keep = keep ?? (options.KeepRate is { } rate ? TokenBudget.FromRate(rate, n) : n / 9) };
        var run = PrunerTrainingRun.Start(vlm, tokenizer, scenes, options, outDir.FullName, resume, world: world);
        if (world.IsRoot)
            Console.Error.WriteLine($"train: {options.Throttler} throttler, {options.Denoiser} denoiser, {Budget(options, n)}, {options.Steps} steps, " +
                (run.Trainer.Step > 0 ? $"resuming at step {run.Trainer.Step}" : "from scratch") + $"; writing to {outDir.FullName}" +
                (world.Size > 1 ? $"; each batch shared by {world.Size} processes" : ""));
        if (world.IsRoot && run.Trainer.GemmNote != null) Console.Error.WriteLine(run.Trainer.GemmNote);
        TrainingProgress.Run("train", options.Steps, run.Trainer.Step, () => run.Done, () =>
        {
            var (report, validation) = run.Next();
            if (validation != null && world.IsRoot) Console.Error.WriteLine(PrunerTrainingRun.Describe(validation));
            return new TrainingProgress.Update(run.Trainer.Step, PrunerTrainingRun.Describe(report), report.Step % 25 == 0);
        });
        var inference = new VlmInference(vlm);
        var best = run.BestPruner();
        var threshold = budget.Mode == BudgetMode.Threshold ? Calibrate(new ValidationThresholds(inference, scenes, budget.CalibrationScenes), run, best, world) : null;
        Finish(inference, tokenizer, scenes, run, testScenes, best, threshold, world);
        return 0;
    }

    /// <summary>Calibrates the best pruner's threshold to the trained K on validation scenes and writes it into its pruner.json.</summary>
    static TokenPruner Calibrate(ValidationThresholds thresholds, PrunerTrainingRun run, TokenPruner best, Communicator world)
    {
        var calibrated = thresholds.Calibrate(best, best.Config.Keep);
        if (!world.IsRoot) return calibrated;
        calibrated.Save(run.PrunerDir);
        var kept = thresholds.Kept(calibrated);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"threshold: z ≥ {calibrated.Config.Threshold!.Value:F4} on standardised logits, calibrated on {thresholds.Scenes} validation scenes to mean K = {best.Config.Keep}: they keep {kept.Mean:F2} (min {kept.Min}, max {kept.Max}); written to {run.PrunerDir}"));
        return calibrated;
    }

    /// <summary>"K = 80 of 720", or at a rate "K_i = round(0.111 × N_i), 20 of a typical 182".</summary>
    static string Budget(PrunerTrainingOptions options, int n) => options.KeepRate is { } rate
        ? string.Create(CultureInfo.InvariantCulture, $"K_i = round({rate:0.###} × N_i), {options.Keep} of a typical {n}")
        : $"K = {options.Keep} of {n}";

    static void Finish(VlmInference inference, WordTokenizer tokenizer, SceneOptions scenes, PrunerTrainingRun run, int testScenes, TokenPruner best, TokenPruner? threshold,
        Communicator world)
    {
        var options = run.Trainer.Options;
        var test = new SceneBench(scenes).Split(SceneSplit.Test, testScenes).ToList();
        int n = inference.Model.BudgetTokens ?? inference.Model.TokenCount(test[0].Scene.Image);
        string budget = options.KeepRate is { } r ? $"rate {r.ToString("0.###", CultureInfo.InvariantCulture)}" : $"{options.Keep}/{n}";
        if (world.IsRoot) Console.Error.WriteLine($"scoring {testScenes} test scenes: unpruned, the best pruner ({run.PrunerDir}){(threshold != null ? " by top-K and by its threshold" : "")}, random at {budget}");
        var evaluator = new SceneBenchEvaluator(inference, tokenizer, batchSize: 32, world: world);
        IPruningHooks AtBudget(Func<int, IPruningMethod> atKeep) => options.KeepRate is { } rate ? new PerImageRate(atKeep, rate, options.Keep) : atKeep(options.Keep);
        var scores = new Dictionary<string, IReadOnlyList<SuiteScore>>
        {
            ["unpruned"] = evaluator.Evaluate(test),
            [$"{options.Throttler} {budget}"] = evaluator.Evaluate(test, AtBudget(best.WithKeep)),
        };
        if (threshold != null) scores[$"{options.Throttler} threshold, mean {budget}"] = evaluator.Evaluate(test, threshold);
        scores[$"random {budget}"] = evaluator.Evaluate(test, AtBudget(k => new RandomPruner(k, options.Seed)));
        if (!world.IsRoot) return;
        run.WriteReport(scores);
        var unpruned = scores["unpruned"];
        foreach (var (name, list) in scores)
            Console.WriteLine($"{name,-32} average {list.Average(s => s.Value) * 100,5:F1} %   retention {RetentionText.Describe(list, unpruned)}");
    }
}
