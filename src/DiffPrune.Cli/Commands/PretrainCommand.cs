using DiffPrune.Tensors.IO;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Eval;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Training.Pretraining;

namespace DiffPrune.Cli.Commands;

/// <summary><c>diffprune pretrain</c>: trains the SceneBench base VLM (three stages), with checkpoints, resume and a report.</summary>
internal static class PretrainCommand
{
    const string CheckpointName = "checkpoint.safetensors";

    public static Command Create()
    {
        var d = new PretrainOptions();
        var output = new Option<DirectoryInfo>("--out") { Description = "Run folder: checkpoint, log, report, and the trained model under model/", DefaultValueFactory = _ => new DirectoryInfo("runs/pretrain") };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its checkpoint (same options required)" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of weights and data", DefaultValueFactory = _ => d.Seed };
        var grid = new Option<int>("--grid") { Description = "Visual tokens per image: 144 (96 px) or 81 (72 px)", DefaultValueFactory = _ => 144 };
        var visionSteps = new Option<int>("--vision-steps") { Description = "Stage 0 steps (vision tower on dense patch labels)", DefaultValueFactory = _ => d.VisionSteps };
        var alignSteps = new Option<int>("--alignment-steps") { Description = "Stage 1 steps (captions)", DefaultValueFactory = _ => d.AlignmentSteps };
        var instructSteps = new Option<int>("--instruction-steps") { Description = "Stage 2 steps (questions and captions)", DefaultValueFactory = _ => d.InstructionSteps };
        var lr = new Option<double>("--lr") { Description = "Stage 1/2 peak learning rate", DefaultValueFactory = _ => d.LearningRate };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Steps between checkpoints", DefaultValueFactory = _ => d.CheckpointEvery };
        var evalEvery = new Option<int>("--eval-every") { Description = "Stage 2 steps between validation evaluations (0 = at the end only)", DefaultValueFactory = _ => d.EvalEvery };
        var evalScenes = new Option<int>("--eval-scenes") { Description = "Validation scenes per evaluation", DefaultValueFactory = _ => d.EvalScenes };
        var testScenes = new Option<int>("--test-scenes") { Description = "Test scenes scored in the final report", DefaultValueFactory = _ => 100 };
        var turns = new Option<int>("--turns") { Description = "Questions about one image packed per stage-2 sequence (turns do not see each other)", DefaultValueFactory = _ => d.TurnsPerSequence };
        var captionsPerStep = new Option<int>("--captions-per-step") { Description = "Captions per stage-1 step", DefaultValueFactory = _ => d.CaptionsPerStep };
        var scenesPerStep = new Option<int>("--scenes-per-step") { Description = "Scenes per stage-2 step", DefaultValueFactory = _ => d.ScenesPerStep };
        var itemsPerScene = new Option<int>("--items-per-scene") { Description = "Questions per scene and stage-2 step", DefaultValueFactory = _ => d.ItemsPerScene };
        var captionShare = new Option<double>("--caption-share") { Description = "Chance that a stage-2 scene also trains its caption", DefaultValueFactory = _ => d.CaptionShare };
        var backgroundDrop = new Option<double>("--background-drop") { Description = "Chance that a stage-2 scene is seen with all its object patches but only some background (answers must not hinge on the token count)", DefaultValueFactory = _ => d.BackgroundDropShare };
        var curriculum = new Option<double>("--curriculum") { Description = "Fraction of each stage trained on scenes of 1–2 objects first (0 = none)", DefaultValueFactory = _ => d.CurriculumFraction };
        var warmup = new Option<int>("--warmup") { Description = "Linear warmup steps at the start of every stage", DefaultValueFactory = _ => d.WarmupSteps };
        var init = new Option<string?>("--init") { Description = "Start from these weights: a pretrain checkpoint.safetensors or a model folder (then e.g. --vision-steps 0)" };
        var lmLayers = new Option<int>("--lm-layers") { Description = "Layers of the LLM; --init from a model with fewer (at least half) deepens it, computing what it did", DefaultValueFactory = _ => d.LanguageLayers };
        var positionHeads = new Option<bool>("--position-heads") { Description = "Stage 0 also teaches each patch feature its row and column" };
        var stopAfter = new Option<int?>("--stop-after") { Description = "Stop once this global step is reached, with a checkpoint and model/ holding the weights at that step; resume later with --resume" };
        var cmd = new Command("pretrain", "Train the SceneBench base VLM: vision tower on dense patch labels, then captions, then questions of all ten suites.")
        {
            output, resume, seed, grid, visionSteps, alignSteps, instructSteps, lr, turns, captionsPerStep, scenesPerStep, itemsPerScene, captionShare, backgroundDrop, warmup, curriculum,
            init, lmLayers, positionHeads, checkpointEvery, evalEvery, evalScenes, testScenes, stopAfter,
        };
        cmd.SetAction(r => Run(r.GetValue(output)!, r.GetValue(resume), new PretrainOptions
        {
            Seed = r.GetValue(seed),
            Scenes = SceneOptions.ForGrid(r.GetValue(grid)),
            VisionSteps = r.GetValue(visionSteps),
            AlignmentSteps = r.GetValue(alignSteps),
            InstructionSteps = r.GetValue(instructSteps),
            LearningRate = r.GetValue(lr),
            TurnsPerSequence = r.GetValue(turns),
            CaptionsPerStep = r.GetValue(captionsPerStep),
            ScenesPerStep = r.GetValue(scenesPerStep),
            ItemsPerScene = r.GetValue(itemsPerScene),
            CaptionShare = r.GetValue(captionShare),
            BackgroundDropShare = r.GetValue(backgroundDrop),
            WarmupSteps = r.GetValue(warmup),
            CurriculumFraction = r.GetValue(curriculum),
            InitFrom = r.GetValue(init),
            LanguageLayers = r.GetValue(lmLayers),
            PositionHeads = r.GetValue(positionHeads),
            CheckpointEvery = r.GetValue(checkpointEvery),
            EvalEvery = r.GetValue(evalEvery),
            EvalScenes = r.GetValue(evalScenes),
        }, r.GetValue(testScenes), r.GetValue(stopAfter)));
        return cmd;
    }

    static int Run(DirectoryInfo outDir, bool resume, PretrainOptions options, int testScenes, int? stopAfter)
    {
        options.Validate();
        CommandLimits.Scenes(testScenes, "--test-scenes");
        var checkpoint = Path.Combine(outDir.FullName, CheckpointName);
        using var folder = RunFolderLock.Acquire(outDir.FullName);
        if (!resume && File.Exists(checkpoint))
            throw new ArgumentException($"{checkpoint} exists: pass --resume to continue that run, or choose another --out");
        var tokenizer = WordTokenizer.ForSceneBench();
        var trainer = resume ? Pretrainer.Resume(checkpoint, options, tokenizer) : Pretrainer.Create(options, tokenizer);
        Directory.CreateDirectory(outDir.FullName);
        var log = new PretrainLog(outDir.FullName, trainer.Step);
        Console.Error.WriteLine($"pretrain: {trainer.Model.ParameterCount:N0} parameters, {options.TotalSteps} steps " +
            $"({options.VisionSteps} vision, {options.AlignmentSteps} alignment, {options.InstructionSteps} instruction), " +
            (trainer.Step > 0 ? $"resuming at step {trainer.Step}" : "from scratch") + $"; writing to {outDir.FullName}");
        int last = Math.Min(stopAfter ?? options.TotalSteps, options.TotalSteps);
        Train(trainer, tokenizer, log, checkpoint, last);
        if (!trainer.Done)
        {
            var modelDir = SaveModel(trainer, tokenizer, outDir.FullName);
            Console.Error.WriteLine($"stopped at step {trainer.Step} of {options.TotalSteps}: {modelDir} holds the weights as they are now; continue with --resume");
            return 0;
        }
        Finish(trainer, tokenizer, outDir.FullName, log, testScenes);
        return 0;
    }

    static void Train(Pretrainer trainer, WordTokenizer tokenizer, PretrainLog log, string checkpoint, int last)
    {
        var options = trainer.Options;
        TrainingProgress.Run("pretrain", options.TotalSteps, trainer.Step, () => trainer.Step >= last, () =>
        {
            var report = trainer.TrainStep();
            log.Step(report);
            bool stageEnd = trainer.Done || options.Locate(trainer.Step).Stage != report.Stage;
            if (stageEnd && report.Stage == PretrainStage.Vision) log.Vision(trainer.Step, trainer.EvaluateVision(64));
            if (report.Stage == PretrainStage.Instruction && options.EvalEvery > 0 && (report.StageStep + 1) % options.EvalEvery == 0 && !trainer.Done)
                log.Evaluation(trainer.Step, "validation", Evaluate(trainer, tokenizer, options.EvalScenes, SceneSplit.Validation));
            if (stageEnd || trainer.Step % options.CheckpointEvery == 0 || trainer.Step == last) trainer.SaveCheckpoint(checkpoint);
            return new TrainingProgress.Update(trainer.Step, Describe(report), report.Step % 25 == 0 || report.Skipped);
        });
    }

    // Per-suite scores on the first scenes of a split, unpruned or pre-LLM pruned: the evaluator lies a layer above the trainer.
    static IReadOnlyList<SuiteScore> Evaluate(Pretrainer trainer, WordTokenizer tokenizer, int scenes, SceneSplit split, IPruningHooks? method = null) =>
        new SceneBenchEvaluator(new VlmInference(trainer.Model), tokenizer, batchSize: 32).Evaluate(new SceneBench(trainer.Options.Scenes).Split(split, scenes), method);

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
        };
        HfCheckpoint.Save(trainer.Model, modelDir, metadata);
        tokenizer.Save(Path.Combine(modelDir, "tokenizer.txt"));
        return modelDir;
    }

    static void Finish(Pretrainer trainer, WordTokenizer tokenizer, string outDir, PretrainLog log, int testScenes)
    {
        var modelDir = SaveModel(trainer, tokenizer, outDir);
        Console.Error.WriteLine($"model written to {modelDir}; scoring {testScenes} test scenes");
        var clock = Stopwatch.StartNew();
        var scores = Evaluate(trainer, tokenizer, testScenes, SceneSplit.Test);
        double seconds = clock.Elapsed.TotalSeconds;
        log.Evaluation(trainer.Step, "test", scores);
        // the benchmark must tell pruning methods apart: random pruning to N/9 (the paper's 64 of 576) should cost a lot
        int n = trainer.Model.Config.Vision.NumPatches, keep = n / 9;
        var random = Evaluate(trainer, tokenizer, testScenes, SceneSplit.Test, new RandomPruner(keep, trainer.Options.Seed));
        var extra = new Dictionary<string, IReadOnlyList<SuiteScore>> { [$"random {keep}/{n}"] = random };
        PretrainReport.Write(outDir, trainer.Options, log, scores, seconds, extra, trainer.MeasureImageReliance(24));
        Console.WriteLine($"{"suite",-12} {"score",8}  unpruned  random {keep}/{n}");
        foreach (var (s, r) in scores.Zip(random)) Console.WriteLine($"{s.Suite.DisplayName(),-12} {s.Display,8}  {s.Value * 100,7:F1} %  {r.Value * 100,7:F1} %");
        Console.WriteLine($"{"average",-12} {"",8}  {scores.Average(s => s.Value) * 100,7:F1} %  {random.Average(s => s.Value) * 100,7:F1} %" +
            $"   average retention {RetentionText.Describe(random, scores)}");
    }
}
