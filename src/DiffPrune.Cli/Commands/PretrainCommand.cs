using DiffPrune.Tensors.Distributed;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Eval;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors.IO;
using DiffPrune.Training.Pretraining;

namespace DiffPrune.Cli.Commands;

/// <summary><c>diffprune pretrain</c>: trains the SceneBench base VLM (three stages), with checkpoints, resume and a report.</summary>
internal static class PretrainCommand
{
    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Run folder: checkpoint, log, report, and the trained model under model/", DefaultValueFactory = _ => new DirectoryInfo("runs/pretrain") };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its checkpoint (same options required)" };
        var testScenes = new Option<int>("--test-scenes") { Description = "Test scenes scored in the final report", DefaultValueFactory = _ => 100 };
        var bench = BenchOption.Create();
        var resolution = ResolutionOption.Create();
        var stopAfter = new Option<int?>("--stop-after") { Description = "Stop once this global step is reached, with a checkpoint and model/ holding the weights at that step; resume later with --resume" };
        var cmd = new Command("pretrain", "Train the SceneBench base VLM: vision tower on dense patch labels, then captions, then questions of all ten suites.")
        {
            output, resume, testScenes, stopAfter, bench, resolution,
        };
        var options = new RecordOptions<PretrainOptions>(cmd, new PretrainOptions())
            .Add("--seed", "Seed of weights and data", o => o.Seed, (o, v) => o with { Seed = v })
            .Add("--grid", "Visual tokens per image: 144 (96 px) or 81 (72 px)", o => o.Scenes.PatchCount, (o, v) => o with { Scenes = SceneOptions.ForGrid(v) })
            .Add("--vision-steps", "Stage 0 steps (vision tower on dense patch labels)", o => o.VisionSteps, (o, v) => o with { VisionSteps = v })
            .Add("--alignment-steps", "Stage 1 steps (captions)", o => o.AlignmentSteps, (o, v) => o with { AlignmentSteps = v })
            .Add("--instruction-steps", "Stage 2 steps (questions and captions)", o => o.InstructionSteps, (o, v) => o with { InstructionSteps = v })
            .Add("--vision-batch", "Images per stage-0 step", o => o.VisionBatch, (o, v) => o with { VisionBatch = v })
            .Add("--vision-lr", "Stage 0 peak learning rate", o => o.VisionLearningRate, (o, v) => o with { VisionLearningRate = v })
            .AddOptimizer(o => o.Optimizer, (o, v) => o with { Optimizer = v }, what: " (every stage; stage 0's peak: --vision-lr)")
            .Add("--captions-per-step", "Captions per stage-1 step", o => o.CaptionsPerStep, (o, v) => o with { CaptionsPerStep = v })
            .Add("--scenes-per-step", "Scenes per stage-2 step", o => o.ScenesPerStep, (o, v) => o with { ScenesPerStep = v })
            .Add("--items-per-scene", "Questions per scene and stage-2 step", o => o.ItemsPerScene, (o, v) => o with { ItemsPerScene = v })
            .Add("--turns", "Questions about one image packed per stage-2 sequence (turns do not see each other)", o => o.TurnsPerSequence, (o, v) => o with { TurnsPerSequence = v })
            .Add("--caption-share", "Chance that a stage-2 scene also trains its caption", o => o.CaptionShare, (o, v) => o with { CaptionShare = v })
            .Add("--background-drop", "Chance that a stage-2 scene is seen with all its object patches but only some background (answers must not hinge on the token count)", o => o.BackgroundDropShare, (o, v) => o with { BackgroundDropShare = v })
            .Add("--curriculum", "Fraction of each stage trained on scenes of 1–2 objects first (0 = none)", o => o.CurriculumFraction, (o, v) => o with { CurriculumFraction = v })
            .Add("--init", "Start from these weights: a pretrain checkpoint.safetensors or a model folder (then e.g. --vision-steps 0)", o => o.InitFrom, (o, v) => o with { InitFrom = v })
            .Add("--lm-layers", "Layers of the LLM; --init from a model with fewer (at least half) deepens it, computing what it did", o => o.LanguageLayers, (o, v) => o with { LanguageLayers = v })
            .Add("--position-heads", "Stage 0 also teaches each patch feature its row and column", o => o.PositionHeads, (o, v) => o with { PositionHeads = v })
            .Add("--checkpoint-every", "Steps between checkpoints (and one at the end of every stage)", o => o.CheckpointEvery, (o, v) => o with { CheckpointEvery = v })
            .Add("--eval-every", "Stage 2 steps between validation evaluations (0 = at the end only)", o => o.EvalEvery, (o, v) => o with { EvalEvery = v })
            .Add("--eval-scenes", "Validation scenes per evaluation", o => o.EvalScenes, (o, v) => o with { EvalScenes = v });
        cmd.SetAction(r =>
        {
            var o = options.Bind(r, new PretrainOptions());
            return Run(r.GetValue(output)!, r.GetValue(resume), o with { Scenes = SceneOptions.For(BenchOption.Parse(r, bench), o.Scenes.PatchCount, ResolutionOption.Parse(r, resolution)) }, r.GetValue(testScenes), r.GetValue(stopAfter));
        });
        return cmd;
    }

    static int Run(DirectoryInfo outDir, bool resume, PretrainOptions options, int testScenes, int? stopAfter)
    {
        options.Validate();
        CommandLimits.Scenes(testScenes, "--test-scenes");
        var world = Communicator.World;
        // rank 0 alone reads and writes the run folder (the others get its state from it): an unusable --out stops the run now
        using var folder = world.IsRoot ? RunFolderLock.Acquire(outDir.FullName) : null;
        var checkpoint = world.IsRoot ? TrainingCheckpoint.InFolder(outDir.FullName, resume) : Path.Combine(outDir.FullName, "checkpoint.safetensors");
        // the Qwen2.5-VL-style model (variable-resolution scenes) has vision start and end after the words
        var tokenizer = options.Scenes.Resolution == SceneResolution.Variable ? SceneQwen.Tokenizer(WordTokenizer.ForSceneBench()) : WordTokenizer.ForSceneBench();
        var trainer = resume ? Pretrainer.Resume(checkpoint, options, tokenizer, world: world) : Pretrainer.Create(options, tokenizer, world: world);
        PretrainLog? log = null;
        if (world.IsRoot)
        {
            Directory.CreateDirectory(outDir.FullName);
            log = new PretrainLog(outDir.FullName, trainer.Step);
            Console.Error.WriteLine($"pretrain: {trainer.ParameterCount:N0} parameters, {options.TotalSteps} steps " +
                $"({options.VisionSteps} vision, {options.AlignmentSteps} alignment, {options.InstructionSteps} instruction), " +
                (trainer.Step > 0 ? $"resuming at step {trainer.Step}" : options.InitFrom != null ? $"from the weights of {options.InitFrom}" : "from scratch") +
                $"; writing to {outDir.FullName}" + (world.Size > 1 ? $"; each batch shared by {world.Size} processes" : ""));
            if (trainer.GemmNote != null) Console.Error.WriteLine(trainer.GemmNote);
        }
        int last = Math.Min(stopAfter ?? options.TotalSteps, options.TotalSteps);
        Train(trainer, tokenizer, log, checkpoint, last, world);
        if (!trainer.Done)
        {
            if (log == null) return 0;
            var modelDir = SaveModel(trainer, tokenizer, outDir.FullName);
            Console.Error.WriteLine($"stopped at step {trainer.Step} of {options.TotalSteps}: {modelDir} holds the weights as they are now; continue with --resume");
            return 0;
        }
        Finish(trainer, tokenizer, outDir.FullName, log, testScenes, world);
        return 0;
    }

    /// <summary>The steps up to <paramref name="last"/>, with their evaluations and checkpoints; <paramref name="log"/> is null on the ranks
    /// other than 0, which train and evaluate but write nothing.</summary>
    static void Train(Pretrainer trainer, WordTokenizer tokenizer, PretrainLog? log, string checkpoint, int last, Communicator world)
    {
        var options = trainer.Options;
        TrainingProgress.Run("pretrain", options.TotalSteps, trainer.Step, () => trainer.Step >= last, () =>
        {
            var report = trainer.TrainStep();
            log?.Step(report);
            bool stageEnd = trainer.Done || options.Locate(trainer.Step).Stage != report.Stage;
            if (stageEnd && report.Stage == PretrainStage.Vision && log != null) log.Vision(trainer.Step, trainer.EvaluateVision(64));
            if (report.Stage == PretrainStage.Instruction && options.EvalEvery > 0 && (report.StageStep + 1) % options.EvalEvery == 0 && !trainer.Done)
            {
                var scores = Evaluate(trainer, tokenizer, options.EvalScenes, SceneSplit.Validation, world);
                log?.Evaluation(trainer.Step, "validation", scores);
            }
            if (log != null && (stageEnd || trainer.Step % options.CheckpointEvery == 0 || trainer.Step == last)) trainer.SaveCheckpoint(checkpoint);
            return new TrainingProgress.Update(trainer.Step, Describe(report), report.Step % 25 == 0 || report.Skipped);
        });
    }

    // Per-suite scores on the first scenes of a split, unpruned or pre-LLM pruned: the evaluator lies a layer above the trainer.
    // Under mpiexec the ranks share the scenes' batches and each gets every score.
    static IReadOnlyList<SuiteScore> Evaluate(Pretrainer trainer, WordTokenizer tokenizer, int scenes, SceneSplit split, Communicator world, IPruningHooks? method = null) =>
        new SceneBenchEvaluator(new VlmInference(trainer.Vlm), tokenizer, batchSize: 32, world: world).Evaluate(new SceneBench(trainer.Options.Scenes).Split(split, scenes), method);

    static string Describe(PretrainStepReport r) => string.Create(CultureInfo.InvariantCulture,
        $"step {r.Step} {r.Stage} loss {r.Loss:F3} acc {r.Accuracy:F2} lr {r.LearningRate:E1} {r.Examples / r.Seconds:F1} ex/s{(r.Skipped ? " SKIPPED (non-finite)" : "")}");

    /// <summary>Writes model/ (config.json, model.safetensors with the options and step in its metadata, tokenizer.txt).</summary>
    static string SaveModel(Pretrainer trainer, WordTokenizer tokenizer, string outDir)
    {
        var modelDir = Path.Combine(outDir, "model");
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["pretrain_options"] = trainer.Options.Describe(),
            ["pretrain_step"] = trainer.Step.ToString(CultureInfo.InvariantCulture),
            [BenchOption.MetadataKey] = trainer.Options.Scenes.Configuration.Name(),
        };
        trainer.SaveModel(modelDir, metadata);
        tokenizer.Save(Path.Combine(modelDir, "tokenizer.txt"));
        return modelDir;
    }

    /// <summary>Test scores with random pruning to N/9 and their label: K = N/9 of every image's N (LLaVA), or at native
    /// resolution each image's own K_i = round(N_i / 9) (<see cref="PerImageRate"/>).</summary>
    static (IReadOnlyList<SuiteScore> Scores, string Label) RandomNinth(Pretrainer trainer, WordTokenizer tokenizer, int testScenes, Communicator world)
    {
        ulong seed = trainer.Options.Seed;
        if (trainer.Vlm.BudgetTokens is int n)
            return (Evaluate(trainer, tokenizer, testScenes, SceneSplit.Test, world, new RandomPruner(n / 9, seed)), $"{n / 9}/{n}");
        const double rate = 1.0 / 9;
        int typical = trainer.Options.Scenes.PatchCount; // the reference scene's N labels the rows
        var method = new PerImageRate(k => new RandomPruner(k, seed), rate, TokenBudget.FromRate(rate, typical));
        return (Evaluate(trainer, tokenizer, testScenes, SceneSplit.Test, world, method), $"N/9 ({method.Keep}/{typical} at {trainer.Options.Scenes.ImageSize} px)");
    }

    static void Finish(Pretrainer trainer, WordTokenizer tokenizer, string outDir, PretrainLog? log, int testScenes, Communicator world)
    {
        if (log != null)
        {
            var modelDir = SaveModel(trainer, tokenizer, outDir);
            Console.Error.WriteLine($"model written to {modelDir}; scoring {testScenes} test scenes");
        }
        var clock = Stopwatch.StartNew();
        var scores = Evaluate(trainer, tokenizer, testScenes, SceneSplit.Test, world);
        double seconds = clock.Elapsed.TotalSeconds;
        // the benchmark must tell pruning methods apart: random pruning to N/9 (the paper's 64 of 576) should cost a lot
        var (random, label) = RandomNinth(trainer, tokenizer, testScenes, world);
        if (log == null) return;
        log.Evaluation(trainer.Step, "test", scores);
        var extra = new Dictionary<string, IReadOnlyList<SuiteScore>> { [$"random {label}"] = random };
        PretrainReport.Write(outDir, trainer.Options, log, scores, seconds, extra, trainer.MeasureImageReliance(24));
        Console.WriteLine($"{"suite",-12} {"score",8}  unpruned  random {label}");
        foreach (var (s, r) in scores.Zip(random)) Console.WriteLine($"{s.Suite.DisplayName(),-12} {s.Display,8}  {s.Value * 100,7:F1} %  {r.Value * 100,7:F1} %");
        Console.WriteLine($"{"average",-12} {"",8}  {scores.Average(s => s.Value) * 100,7:F1} %  {random.Average(s => s.Value) * 100,7:F1} %" +
            $"   average retention {RetentionText.Describe(random, scores)}");
    }
}
