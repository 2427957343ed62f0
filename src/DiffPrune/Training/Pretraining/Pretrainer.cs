using System.Diagnostics;
using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Models.Loaders;
using DiffPrune.Tensors.IO;
using DiffPrune.Tensors.Nn;
using DiffPrune.Tensors.Distributed;

namespace DiffPrune.Training.Pretraining;

/// <summary>
/// Trains the base VLM on SceneBench in three stages (<see cref="PretrainStage"/>): the vision tower on dense patch
/// labels, then LLaVA's two stages with the tower frozen (captions; questions of every suite plus captions), answer
/// tokens only. The model is LLaVA-style (<see cref="SceneVlm"/>) on standard and high-resolution scenes and
/// Qwen2.5-VL-style (<see cref="SceneQwen"/>, its merger in the projector's place) on variable-resolution ones; where the
/// two differ is <see cref="IPretrainModel"/>'s. Every step draws its data from a generator seeded by (seed, step), so a
/// run resumed from a checkpoint sees exactly the batches an uninterrupted run sees. Under mpiexec (<see cref="DataParallel"/>) every rank draws
/// the step's batch and computes its share: a contiguous block of the stage-0 images, every P-th of the language sequences
/// ordered by length; the ranks start from rank 0's state.
/// </summary>
public sealed class Pretrainer
{
    /// <summary>The format tag of pretraining checkpoints (<see cref="SaveCheckpoint"/>).</summary>
    const string Format = "diffprune-pretrain-v1";
    readonly IPretrainModel _model;
    readonly WordTokenizer _tokenizer;
    readonly SceneBench _bench;
    readonly DataParallel? _parallel;
    GuardedOptimizer? _optimizer;
    PretrainStage _optimizerStage;

    /// <summary>The model being trained.</summary>
    public IVisionLanguageModel Vlm => _model.Vlm;

    /// <summary>The LLaVA-style model being trained.</summary>
    /// <exception cref="InvalidOperationException">The run trains a Qwen2.5-VL-style model (use <see cref="Vlm"/>).</exception>
    public LlavaModel Model => (_model as LlavaPretrainModel)?.Model
        ?? throw new InvalidOperationException("this run trains a Qwen2.5-VL-style model (variable-resolution scenes), not a LLaVA one: use Pretrainer.Vlm");

    /// <summary>Weights of the model being trained (not the heads).</summary>
    public long ParameterCount => _model.Module.ParameterCount;

    /// <summary>The stage-0 heads (train-only, not part of the VLM).</summary>
    public VisionDenseHeads Heads { get; }

    /// <summary>The options.</summary>
    public PretrainOptions Options { get; }

    /// <summary>The next global step to take (0 … <see cref="PretrainOptions.TotalSteps"/>).</summary>
    public int Step { get; private set; }

    /// <summary>After a resume, the line that says the GEMM backend of the run was taken again or could not be (else null).</summary>
    public string? GemmNote { get; private set; }

    /// <summary>True when every step has been taken.</summary>
    public bool Done => Step >= Options.TotalSteps;

    Pretrainer(IPretrainModel model, VisionDenseHeads heads, WordTokenizer tokenizer, PretrainOptions options, DataParallel? parallel)
    {
        parallel?.Share(options.VisionBatch, "--vision-batch");
        _parallel = parallel;
        _model = model;
        Heads = heads;
        _tokenizer = tokenizer;
        Options = options;
        _bench = new SceneBench(options.Scenes);
    }

    /// <summary>A fresh run: weights drawn from the options' seed; the architecture is <paramref name="config"/>
    /// (default <see cref="SceneVlm.Config"/>, or on variable-resolution scenes <see cref="SceneQwen.Config"/>, whose
    /// tokenizer is <see cref="SceneQwen.Tokenizer"/>'s); <paramref name="world"/> (default one process) trains data-parallel.</summary>
    /// <exception cref="ArgumentException">Bad options, or a LLaVA config for variable-resolution scenes.</exception>
    public static Pretrainer Create(PretrainOptions options, WordTokenizer tokenizer, LlavaConfig? config = null, Communicator? world = null)
    {
        if (IsVariable(options, config != null)) return Create(options, tokenizer, SceneQwen.Config(tokenizer, options.LanguageLayers), world);
        return Start(options, tokenizer, world, (gen, probe) =>
            new LlavaPretrainModel(SceneVlm.Create(config ?? SceneVlm.Config(options.Scenes, tokenizer.VocabSize, options.LanguageLayers), gen, probe)));
    }

    /// <summary>A fresh run of the Qwen2.5-VL-style model <paramref name="config"/> on variable-resolution scenes.</summary>
    /// <exception cref="ArgumentException">Bad options, or scenes of one size (a LLaVA-style model's).</exception>
    public static Pretrainer Create(PretrainOptions options, WordTokenizer tokenizer, Qwen25VlConfig config, Communicator? world = null)
    {
        RequireVariable(options);
        return Start(options, tokenizer, world, (gen, probe) => new QwenPretrainModel(SceneQwen.Create(config, gen, probe), options.Scenes));
    }

    static Pretrainer Start(PretrainOptions options, WordTokenizer tokenizer, Communicator? world, Func<Generator, RgbImage[], IPretrainModel> create)
    {
        options.Validate();
        var gen = new Generator(options.Seed);
        var probe = Enumerable.Range(0, 4).Select(i => Scene.Generate(i, options.Scenes).Image).ToArray();
        var model = create(gen, probe);
        if (options.InitFrom != null) model.LoadWeights(options.InitFrom);
        var trainer = new Pretrainer(model, model.CreateHeads(options, gen), tokenizer, options, DataParallel.Over(world));
        trainer.ShareRootState(hasOptimizer: false);
        return trainer;
    }

    /// <summary>Whether <paramref name="options"/> train the Qwen2.5-VL-style model (variable-resolution scenes).</summary>
    /// <exception cref="ArgumentException">Variable-resolution scenes with a LLaVA config.</exception>
    static bool IsVariable(PretrainOptions options, bool llavaConfig)
    {
        bool variable = options.Scenes.Resolution == SceneResolution.Variable;
        if (variable && llavaConfig)
            throw new ArgumentException("variable-resolution scenes train a Qwen2.5-VL-style model: give a Qwen25VlConfig (or none), not a LlavaConfig");
        return variable;
    }

    static void RequireVariable(PretrainOptions options)
    {
        if (options.Scenes.Resolution != SceneResolution.Variable)
            throw new ArgumentException($"a Qwen2.5-VL-style model reads variable-resolution scenes, not {options.Scenes.Resolution.Name()} ones: use --resolution variable");
    }

    /// <summary>Rank 0's weights, step and (when it has one) optimizer state on every rank (nothing without data parallelism).</summary>
    void ShareRootState(bool hasOptimizer)
    {
        if (_parallel == null) return;
        _parallel.AgreeOnGemm();
        Span<double> progress = [Step, hasOptimizer ? 1 : 0];
        _parallel.Broadcast(progress);
        Step = (int)progress[0];
        _parallel.Broadcast(_model.Module.Parameters().Concat(Heads.Parameters()));
        if (progress[1] == 0) return;
        _parallel.Broadcast(OptimizerFor(Options.Locate(Math.Min(Step, Options.TotalSteps - 1)).Stage).AdamW);
    }

    /// <summary>Takes the next step (creating the stage's optimizer at a stage start) and reports it.</summary>
    /// <exception cref="InvalidOperationException">All steps are done.</exception>
    /// <exception cref="TrainingDivergedException">Too many non-finite steps in a row.</exception>
    public PretrainStepReport TrainStep()
    {
        if (Done) throw new InvalidOperationException($"pretraining is complete ({Options.TotalSteps} steps)");
        var clock = Stopwatch.StartNew();
        var (stage, stageStep, stageSteps) = Options.Locate(Step);
        var gen = StepGenerator(Step);
        var scenes = SceneOptionsAt(stageStep, stageSteps);
        (double Loss, double Accuracy, int Examples) batch = default;
        var update = OptimizerFor(stage).Step(stageStep, () => (batch = stage == PretrainStage.Vision
            ? VisionLoss(gen, scenes)
            : LanguageLoss(gen, scenes, captionsOnly: stage == PretrainStage.Alignment)).Loss);
        double accuracy = _parallel == null ? batch.Accuracy : _parallel.Sum(batch.Accuracy)[0];
        var report = new PretrainStepReport(Step, stage, stageStep, update.Loss, accuracy, update.LearningRate, update.GradNorm, batch.Examples, clock.Elapsed.TotalSeconds, update.Skipped)
        {
            AllreduceSeconds = _parallel?.LastSeconds,
        };
        Step++;
        return report;
    }

    Generator StepGenerator(int step) => new(Options.Seed ^ ((ulong)(step + 1) * 0x9E3779B97F4A7C15UL));

    /// <summary>The curriculum: 1–2 objects for the first <see cref="PretrainOptions.CurriculumFraction"/> of a stage.</summary>
    SceneOptions SceneOptionsAt(int stageStep, int stageSteps) =>
        stageStep < Options.CurriculumFraction * stageSteps
            ? Options.Scenes with { MinObjects = 1, MaxObjects = Math.Min(2, Options.Scenes.MaxObjects) }
            : Options.Scenes;


    GuardedOptimizer OptimizerFor(PretrainStage stage)
    {
        if (_optimizer != null && _optimizerStage == stage) return _optimizer;
        bool vision = stage == PretrainStage.Vision;
        var trained = _model.Train(vision);
        Heads.RequiresGrad(vision);
        var parameters = vision ? trained.Concat(Heads.Parameters()) : trained;
        var settings = vision ? Options.Optimizer with { LearningRate = Options.VisionLearningRate } : Options.Optimizer;
        int steps = stage switch { PretrainStage.Vision => Options.VisionSteps, PretrainStage.Alignment => Options.AlignmentSteps, _ => Options.InstructionSteps };
        _optimizer = new GuardedOptimizer(settings, parameters, steps, $"pretraining stage {stage}", _parallel);
        _optimizerStage = stage;
        return _optimizer;
    }

    /// <summary>The stage-0 loss of one batch, backpropagated when finite. Every term is a mean over images (each has N patches), so a
    /// rank's part is its mean weighted by its share of the images; so is its part of the accuracy (over object patches, so across
    /// ranks a close estimate of one process's).</summary>
    (double Loss, double Accuracy, int Examples) VisionLoss(Generator gen, SceneOptions options)
    {
        var all = SceneBench.DrawTrainingScenes(gen, Options.VisionBatch, options);
        var (first, count) = _parallel?.Share(all.Length, "--vision-batch") ?? (0, all.Length);
        var scenes = all[first..(first + count)];
        double weight = (double)count / all.Length;
        var (loss, accuracy) = _model.DenseLoss(Heads, scenes);
        if (_parallel == null) return (GuardedOptimizer.Backward(loss), accuracy.Color, all.Length);
        return (GuardedOptimizer.Backward(loss.Mul((float)weight)), accuracy.Color * weight, all.Length);
    }

    (double Loss, double Accuracy, int Examples) LanguageLoss(Generator gen, SceneOptions options, bool captionsOnly)
    {
        var sequences = captionsOnly ? CaptionSequences(gen, options) : InstructionSequences(gen, options);
        var (loss, accuracy) = SequenceLoss(ShareOf(sequences), backward: true, sequences.Sum(AnswerTokens));
        return (loss, accuracy, sequences.Sum(q => q.Segments[^1]));
    }

    /// <summary>This rank's sequences: every P-th by length, so that each rank gets as many answer tokens and as long a padded
    /// length as the others (all of them in one process).</summary>
    List<TrainingSequence> ShareOf(List<TrainingSequence> sequences)
    {
        if (_parallel == null) return sequences;
        var world = _parallel.World;
        _parallel.Share(sequences.Count, "sequences per step (--scenes-per-step, --captions-per-step)");
        return sequences.OrderBy(s => s.Ids.Length).Where((_, i) => i % world.Size == world.Rank).ToList();
    }

    /// <summary>
    /// Mean answer-token NLL and accuracy over <paramref name="sequences"/>, run in groups of similar length (a short
    /// VizWiz sequence padded to a packed scene's length would cost as much as the scene) and bounded size (attention
    /// maps of a few MB stay off the large-object heap). With <paramref name="backward"/>, each group's share of the
    /// loss is backpropagated as soon as it is computed (gradients accumulate); a non-finite group stops there. Loss and accuracy
    /// are over <paramref name="answerTokens"/> answer tokens (default those of <paramref name="sequences"/>; under data parallelism the
    /// whole batch's, so that each rank returns its part).
    /// </summary>
    (double Loss, double Accuracy) SequenceLoss(List<TrainingSequence> sequences, bool backward, int? answerTokens = null)
    {
        int answers = answerTokens ?? sequences.Sum(AnswerTokens);
        double total = 0, right = 0;
        foreach (var group in LengthGroups(sequences, _model.Vlm.LanguageModel.Config.NumHeads, _model.MaxImagePositions))
        {
            var (loss, accuracy) = GroupLoss(group);
            int n = group.Sum(AnswerTokens);
            var weighted = loss.Mul((float)n / answers);
            double value = weighted.Item();
            if (!double.IsFinite(value)) return (value, double.NaN);
            if (backward) weighted.Backward();
            total += value;
            right += accuracy * n;
        }
        return (total, right / answers);
    }

    static int AnswerTokens(TrainingSequence s) => s.IsAnswer.Count(a => a);

    /// <summary>Attention probabilities per group at most (floats): 16 MB, below the large-object-heap threshold.</summary>
    const long MaxGroupAttention = 4 << 20;

    /// <summary>Sequences sorted by length, cut where the length jumps by more than half or the group's attention maps
    /// (sequences × heads × length²) would exceed <see cref="MaxGroupAttention"/>.</summary>
    static IEnumerable<List<TrainingSequence>> LengthGroups(List<TrainingSequence> sequences, int heads, int visualTokens)
    {
        var group = new List<TrainingSequence>();
        foreach (var s in sequences.OrderBy(s => s.Ids.Length))
        {
            long longest = s.Ids.Length - 1L + visualTokens; // the image token stands for N visual tokens
            if (group.Count > 0 && (s.Ids.Length > 1.5 * group[0].Ids.Length || (group.Count + 1) * heads * longest * longest > MaxGroupAttention))
            {
                yield return group;
                group = [];
            }
            group.Add(s);
        }
        if (group.Count > 0) yield return group;
    }

    (Tensor Loss, double Accuracy) GroupLoss(List<TrainingSequence> sequences)
    {
        var images = sequences.Select(s => s.Image).Distinct().ToList();
        var imageOf = sequences.Select(s => images.IndexOf(s.Image)).ToArray();
        var tokens = _model.EncodeImages(images).Rows(imageOf);
        if (sequences.Any(s => s.Patches != null))
            tokens = tokens.Select(sequences.Select((s, i) => s.Patches ?? Enumerable.Range(0, tokens.CountOf(i)).ToArray()).ToArray());
        var (loss, logits, targets) = new VlmInference(_model.Vlm).AnswerLoss(tokens, null, sequences.Select(s => s.Ids).ToArray(),
            sequences.Select(s => s.IsAnswer).ToArray(), sequences.Select(s => s.Segments).ToArray());
        return (loss, TokenAccuracy(logits, targets));
    }

    List<TrainingSequence> CaptionSequences(Generator gen, SceneOptions options) =>
        SceneBench.DrawTrainingScenes(gen, Options.CaptionsPerStep, options)
            .Select(s => Sequence(s.Image, [("", s.Caption)])).ToList();

    /// <summary>Per scene, <see cref="PretrainOptions.ItemsPerScene"/> of its items (drawn without replacement) and, by
    /// chance, its caption, grouped by image (VizWiz items share a degraded one) into sequences of up to
    /// <see cref="PretrainOptions.TurnsPerSequence"/> turns that do not see each other.</summary>
    List<TrainingSequence> InstructionSequences(Generator gen, SceneOptions options)
    {
        var list = new List<TrainingSequence>();
        foreach (var scene in SceneBench.DrawTrainingScenes(gen, Options.ScenesPerStep, options))
        {
            var items = SceneBench.Questions(scene);
            var order = gen.Permutation(items.Count);
            var picked = new List<(RgbImage Image, string Prompt, string Answer)>();
            if (gen.NextDouble() < Options.CaptionShare)
                picked.Add((scene.Image, "", scene.Caption)); // first: an answer with no prompt must follow the image
            foreach (int i in order.Take(Options.ItemsPerScene))
                picked.Add((items[i].Image ?? scene.Image, items[i].Prompt, items[i].Answer));
            // drawn only when asked for, so that runs without it see the data they always saw
            var keep = Options.BackgroundDropShare > 0 && gen.NextDouble() < Options.BackgroundDropShare ? BackgroundDrop.Keep(scene, gen) : null;
            if (keep != null) keep = _model.TokensShowing(keep, scene);
            foreach (var group in picked.GroupBy(p => p.Image))
                foreach (var chunk in group.Chunk(Options.TurnsPerSequence))
                    list.Add(Sequence(group.Key, chunk.Select(p => (p.Prompt, p.Answer)).ToArray()) with
                    {
                        Patches = group.Key == scene.Image ? keep : null, // a VizWiz image may be cropped or moved
                    });
        }
        return list;
    }

    TrainingSequence Sequence(RgbImage image, IReadOnlyList<(string Prompt, string Answer)> turns)
    {
        var (ids, isAnswer, segments) = ScenePrompt.TrainingIds(_tokenizer, turns);
        return new TrainingSequence(image, ids, isAnswer, segments);
    }

    /// <summary>One training sequence: its image, the visual tokens the LLM sees (slots, ascending; null: all) and its packed turns
    /// (<see cref="ScenePrompt.TrainingIds(WordTokenizer, IReadOnlyList{ValueTuple{string, string}})"/>).</summary>
    sealed record TrainingSequence(RgbImage Image, int[] Ids, bool[] IsAnswer, int[] Segments)
    {
        public int[]? Patches { get; init; }
    }

    static double TokenAccuracy(Tensor logits, int[] targets)
    {
        int classes = logits.Shape[1], right = 0, counted = 0;
        var data = logits.Data;
        for (int r = 0; r < targets.Length; r++)
        {
            if (targets[r] == AnswerTargets.Ignore) continue;
            var row = data.Slice(r * classes, classes);
            counted++;
            if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row) == targets[r]) right++;
        }
        return counted == 0 ? 0 : (double)right / counted;
    }

    /// <summary>Dense-head accuracy of the vision tower on the first <paramref name="scenes"/> validation scenes.</summary>
    public DenseAccuracy EvaluateVision(int scenes)
    {
        using var _ = Autograd.NoGrad();
        var val = _bench.Split(SceneSplit.Validation, scenes).Select(e => e.Scene).ToArray();
        return _model.DenseLoss(Heads, val).Accuracy;
    }

    /// <summary>
    /// Does the model read the image? Answer-token loss per task (captions, then the first item of each suite) on the
    /// first <paramref name="scenes"/> validation scenes, with each scene's own image and with the next scene's.
    /// Equal losses mean the answers come from the question alone.
    /// </summary>
    public IReadOnlyList<ImageReliance> MeasureImageReliance(int scenes)
    {
        if (scenes < 2) throw new ArgumentOutOfRangeException(nameof(scenes), $"need at least 2 scenes to swap images (got {scenes})");
        var examples = _bench.Split(SceneSplit.Validation, scenes).ToList();
        var tasks = new List<(string Name, Func<SceneExample, (RgbImage Image, string Prompt, string Answer)> Pick)>
        {
            ("captions", e => (e.Scene.Image, "", e.Caption)),
        };
        foreach (var suite in SceneSuites.All)
            tasks.Add((suite.DisplayName(), e => { var q = e.ItemsOf(suite).First(); return (q.Image ?? e.Scene.Image, q.Prompt, q.Answer); }));
        using var _ = Autograd.NoGrad();
        return tasks.Select(task =>
        {
            var picked = examples.Select(task.Pick).ToArray();
            var seqs = picked.Select(p => Sequence(p.Image, [(p.Prompt, p.Answer)])).ToList();
            double Loss(int shift)
            {
                var swapped = seqs.Select((q, i) => q with { Image = seqs[(i + shift) % seqs.Count].Image }).ToList();
                return SequenceLoss(swapped, backward: false).Loss;
            }
            return new ImageReliance(task.Name, Loss(0), Loss(1));
        }).ToList();
    }

    TrainingCheckpoint Checkpoint() => new(Format, new Dictionary<string, Module> { ["model"] = _model.Module, ["heads"] = Heads },
        new Dictionary<string, string> { ["options"] = Options.Describe(), ["config"] = _model.ConfigJson });

    /// <summary>Writes the model's folder into <paramref name="dir"/>: config.json and model.safetensors (with <paramref name="metadata"/>)
    /// as <see cref="HfCheckpoint"/> saves a LLaVA or a Qwen2.5-VL model (the tokenizer is the caller's to add).</summary>
    public void SaveModel(string dir, IReadOnlyDictionary<string, string> metadata) => _model.Save(dir, metadata);

    /// <summary>Writes the whole training state (model, heads, the current stage's optimizer, step) to one file, atomically.</summary>
    public void SaveCheckpoint(string path) =>
        Checkpoint().Save(path, Step, _optimizer?.AdamW, _optimizer == null ? [] : [("optimizer_stage", _optimizerStage.ToString())]);

    /// <summary>Continues a run from <paramref name="path"/>; the options and the architecture must be those the run started with.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a pretraining checkpoint, is corrupt, or was written with other options or another model.</exception>
    /// <remarks>Under data parallelism (<paramref name="world"/>) rank 0 alone reads <paramref name="path"/> and sends the state to the
    /// others: a checkpoint holds the global state only, so a run resumes on any number of ranks.</remarks>
    public static Pretrainer Resume(string path, PretrainOptions options, WordTokenizer tokenizer, LlavaConfig? config = null, Communicator? world = null)
    {
        if (IsVariable(options, config != null)) return Resume(path, options, tokenizer, SceneQwen.Config(tokenizer, options.LanguageLayers), world);
        return Resume(path, options, tokenizer, new LlavaPretrainModel(new LlavaModel(config ?? SceneVlm.Config(options.Scenes, tokenizer.VocabSize, options.LanguageLayers), new Generator(0))), world);
    }

    /// <summary>As <see cref="Resume(string, PretrainOptions, WordTokenizer, LlavaConfig?, Communicator?)"/>, a run of the
    /// Qwen2.5-VL-style model <paramref name="config"/> on variable-resolution scenes.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">Not this run's checkpoint (see the LLaVA overload).</exception>
    public static Pretrainer Resume(string path, PretrainOptions options, WordTokenizer tokenizer, Qwen25VlConfig config, Communicator? world = null)
    {
        RequireVariable(options);
        return Resume(path, options, tokenizer, new QwenPretrainModel(new Qwen25VlModel(config, new Generator(0)), options.Scenes), world);
    }

    static Pretrainer Resume(string path, PretrainOptions options, WordTokenizer tokenizer, IPretrainModel model, Communicator? world)
    {
        options.Validate();
        var trainer = new Pretrainer(model, model.CreateHeads(options, new Generator(0)), tokenizer, options, DataParallel.Over(world));
        bool hasOptimizer = false;
        if (world is not { IsRoot: false })
        {
            var (step, contents) = trainer.Checkpoint().Load(path);
            trainer.Step = step;
            trainer.GemmNote = contents.GemmNote;
            if (contents.Metadata.TryGetValue("optimizer_stage", out var saved) && Enum.Parse<PretrainStage>(saved) is var stage
                && stage == options.Locate(Math.Min(step, options.TotalSteps - 1)).Stage)
            {
                trainer.OptimizerFor(stage).AdamW.SetState(contents.OptimizerStep, contents.Moments);
                hasOptimizer = true;
            }
        }
        trainer.ShareRootState(hasOptimizer);
        return trainer;
    }

    /// <summary>Fills <paramref name="model"/> from a pretraining checkpoint file or a model folder. The config must
    /// match, except that a model folder's LLM may have fewer layers: it is then deepened
    /// (<see cref="LanguageModelDeepening"/>), computing exactly what it did.</summary>
    /// <exception cref="InvalidDataException">Another architecture, or not a checkpoint / model folder.</exception>
    public static void LoadModelWeights(string source, LlavaModel model)
    {
        if (Directory.Exists(source))
        {
            var other = HfCheckpoint.LoadLlava(source);
            int from = other.Config.Text.NumLayers, to = model.Config.Text.NumLayers;
            // a LLaVA-1.5 model starts the LLaVA-NeXT model of its towers (SceneVlm.AnyRes): the tiles are the views it was trained on
            bool tiling = model.Config.IsAnyRes && !other.Config.IsAnyRes;
            var sameElse = other.Config with
            {
                Text = other.Config.Text with { NumLayers = to, MaxPositionEmbeddings = tiling ? model.Config.Text.MaxPositionEmbeddings : other.Config.Text.MaxPositionEmbeddings },
                ImageGridPinpoints = tiling ? model.Config.ImageGridPinpoints : other.Config.ImageGridPinpoints,
            };
            if (HfConfig.ToJson(sameElse) != HfConfig.ToJson(model.Config) || (from != to && !LanguageModelDeepening.CanDeepen(from, to)))
                throw new InvalidDataException($"{source} holds another architecture than the one being trained" +
                    (from != to ? $" (its LLM has {from} layers; it can start a model of {from}..{2 * from} layers, not {to})" : ""));
            var state = from == to ? other.StateDict() : LanguageModelDeepening.Deepen(other.StateDict(), from, to);
            if (tiling) state["image_newline"] = model.ImageNewline!; // llava-hf's fresh draw
            model.LoadStateDict(state, strict: true, source: source);
            return;
        }
        LoadCheckpointWeights(source, model, HfConfig.ToJson(model.Config));
    }

    /// <summary>Fills <paramref name="model"/> (of config <paramref name="configJson"/>) from a pretraining checkpoint file.</summary>
    /// <exception cref="InvalidDataException">Not a pretraining checkpoint, or one of another architecture.</exception>
    internal static void LoadCheckpointWeights(string source, Module model, string configJson) =>
        new TrainingCheckpoint(Format, new Dictionary<string, Module> { ["model"] = model }, new Dictionary<string, string> { ["config"] = configJson }).Load(source, continuesRun: false);
}
