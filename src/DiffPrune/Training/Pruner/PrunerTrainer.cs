using System.Diagnostics;
using System.Globalization;
using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Tensors;
using DiffPrune.Tensors.IO;
using DiffPrune.Tensors.Nn;
using DiffPrune.Tensors.Optim;

namespace DiffPrune.Training.Pruner;

/// <summary>
/// Trains DiffPrune's scorer and denoiser on SceneBench captions through a frozen VLM (or an ablation, by
/// <see cref="PrunerTrainingOptions.Throttler"/>). Each step draws its scenes and noise from a generator seeded by
/// (seed, step), so a resumed run takes exactly the steps an uninterrupted one takes. Validation compares the soft
/// training objective with the deployed hard top-K on the same captions; early stopping follows the hard loss.
/// </summary>
public sealed class PrunerTrainer
{
    const string Format = "diffprune-pruner-training-v1";
    readonly LlavaModel _vlm;
    readonly WordTokenizer _tokenizer;
    readonly SceneOptions _scenes;
    readonly PrunerPipeline _pipeline;
    readonly GuardedOptimizer _optimizer;
    readonly TrainingCheckpoint _checkpoint;
    readonly CaptionFeaturePool? _pool;
    (Tensor Features, int[][] Ids, int[] AnswerStart)? _validation;

    /// <summary>The options.</summary>
    public PrunerTrainingOptions Options { get; }

    /// <summary>The scenes it trains and validates on.</summary>
    public SceneOptions Scenes => _scenes;

    /// <summary>The scorer being trained.</summary>
    public TokenScorer Scorer { get; }

    /// <summary>The denoiser being trained (train-only).</summary>
    public Denoiser Denoiser { get; }

    /// <summary>The feature standardiser (fixed at creation).</summary>
    public TokenStandardizer Standardizer { get; }

    /// <summary>The next step to take.</summary>
    public int Step { get; private set; }

    /// <summary>Best hard-top-K validation loss so far (∞ before the first validation).</summary>
    public double BestHardLoss { get; private set; } = double.PositiveInfinity;

    /// <summary>Validations since the best one.</summary>
    public int ValidationsSinceBest { get; private set; }

    /// <summary>True when every step is taken or early stopping triggered.</summary>
    public bool Done => Step >= Options.Steps || ValidationsSinceBest >= Options.Patience;

    PrunerTrainer(LlavaModel vlm, WordTokenizer tokenizer, SceneOptions scenes, PrunerTrainingOptions options, TokenStandardizer standardizer, Generator gen, CaptionFeaturePool? pool)
    {
        CheckFits(vlm, scenes, options);
        _pool = options.FeaturePool == 0 ? null : pool ?? CaptionFeaturePool.Encode(vlm, tokenizer, scenes, options.FeaturePool, PoolSeed(options), questions: options.WithQuestions);
        if (_pool != null && (_pool.Count != options.FeaturePool || _pool.Seed != PoolSeed(options) || _pool.WithQuestions != options.WithQuestions))
            throw new ArgumentException($"the feature pool holds {_pool.Count} scenes drawn with seed {_pool.Seed}{(_pool.WithQuestions ? " with questions" : "")}; these options want {options.FeaturePool} drawn with {PoolSeed(options)}{(options.WithQuestions ? " with questions" : "")} (CaptionFeaturePool.Encode with PrunerTrainer.PoolSeed)");
        int dv = vlm.Config.Vision.HiddenSize;
        _vlm = vlm;
        _tokenizer = tokenizer;
        _scenes = scenes;
        Options = options;
        vlm.RequiresGrad(false);
        Standardizer = standardizer;
        Scorer = new TokenScorer(dv, gen);
        Denoiser = new Denoiser(dv, gen, options.Denoiser);
        _pipeline = new PrunerPipeline(vlm, Scorer, Denoiser, options.Throttler.Create(), Standardizer, options.LogitScale);
        _optimizer = new GuardedOptimizer(options.Optimizer, Scorer.Parameters().Concat(Denoiser.Parameters()), options.Steps, "pruner training");
        _checkpoint = new TrainingCheckpoint(Format, new Dictionary<string, Module> { ["scorer"] = Scorer, ["denoiser"] = Denoiser, ["standardizer"] = Standardizer },
            new Dictionary<string, string> { ["options"] = options.Describe(), ["vlm_config"] = HfConfig.ToJson(vlm.Config) }, frozen: vlm);
    }

    static void CheckFits(LlavaModel vlm, SceneOptions scenes, PrunerTrainingOptions options)
    {
        int n = vlm.Config.Vision.NumPatches;
        if (options.Keep >= n) throw new ArgumentException($"pruner training options: Keep = {options.Keep} must be below the {n} visual tokens (K = N prunes nothing)");
        if (scenes.PatchCount != n || scenes.ImageSize != vlm.Config.Vision.ImageSize)
            throw new ArgumentException($"scenes of {scenes.ImageSize} px / {scenes.PatchCount} patches do not fit the VLM's {vlm.Config.Vision.ImageSize} px / {n} patches");
    }

    /// <summary>The seed of the training scenes in the feature pool of a run with <paramref name="options"/>.</summary>
    public static ulong PoolSeed(PrunerTrainingOptions options) => options.Seed ^ 0x5EEDF00DUL;

    /// <summary>A fresh run on the frozen <paramref name="vlm"/> (its weights are never changed); <paramref name="pool"/>
    /// shares features another run encoded (it must be <see cref="PrunerTrainingOptions.FeaturePool"/> scenes drawn with <see cref="PoolSeed"/>).</summary>
    /// <exception cref="ArgumentException">Bad options, K ≥ N, scenes of another geometry than the VLM's, or a pool that does not fit.</exception>
    public static PrunerTrainer Create(LlavaModel vlm, WordTokenizer tokenizer, SceneOptions scenes, PrunerTrainingOptions options, CaptionFeaturePool? pool = null)
    {
        options.Validate();
        CheckFits(vlm, scenes, options);
        var gen = new Generator(options.Seed);
        var images = SceneBench.DrawTrainingScenes(gen, options.StandardizerScenes, scenes).Select(s => s.Image).ToArray();
        Tensor features;
        using (Autograd.NoGrad()) features = vlm.EncodeImages(ImageTensors.ToTensor(images, ImageNormalization.Clip)).Features;
        return new PrunerTrainer(vlm, tokenizer, scenes, options, TokenStandardizer.Fit(features), gen, pool);
    }

    Generator StepGenerator(int step) => new(Options.Seed ^ ((ulong)(step + 1) * 0xD1B54A32D192ED03UL));

    /// <summary>τ at <paramref name="step"/>: cosine from TauStart to TauEnd over <see cref="PrunerTrainingOptions.TauSpan"/>.</summary>
    public double TauAt(int step) => new CosineSchedule(Options.TauStart, Options.TauEnd, Options.TauSpan).At(step);

    (Tensor Features, int[][] Ids, int[] AnswerStart) Captions(IReadOnlyList<Scene> scenes)
    {
        Tensor features;
        using (Autograd.NoGrad()) features = _vlm.EncodeImages(ImageTensors.ToTensor(scenes.Select(s => s.Image).ToArray(), ImageNormalization.Clip)).Features;
        var sequences = scenes.Select(s => ScenePrompt.TrainingIds(_tokenizer, "", s.Caption)).ToArray();
        return (features, sequences.Select(s => s.Ids).ToArray(), sequences.Select(s => s.AnswerStart).ToArray());
    }

    /// <summary>Takes the next step.</summary>
    /// <exception cref="InvalidOperationException">Training is done, or the loss or gradient was not finite (nothing updated; the last checkpoint is intact).</exception>
    public PrunerStepReport TrainStep()
    {
        if (Done) throw new InvalidOperationException($"pruner training is done (step {Step} of {Options.Steps})");
        var clock = Stopwatch.StartNew();
        // every tensor of the step goes back to the engine's pool at its end: the next step reuses the buffers
        using var scope = TensorScope.Begin();
        var gen = StepGenerator(Step);
        double tau = TauAt(Step);
        var (features, ids, start) = _pool?.Batch(gen, Options.BatchSize) ?? Captions(SceneBench.DrawTrainingScenes(gen, Options.BatchSize, _scenes));
        (Tensor Loss, AlphaStats Alpha) batch = default;
        var update = _optimizer.Step(Step, () => GuardedOptimizer.Backward((batch = _pipeline.Loss(features, ids, start, Options.Keep, tau, gen)).Loss));
        return new PrunerStepReport(Step++, update.Loss, tau, update.LearningRate, batch.Alpha!, ids.Length, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Soft and hard validation losses on the first <see cref="PrunerTrainingOptions.ValidationScenes"/> validation
    /// captions; updates early stopping.</summary>
    public PrunerValidation Validate()
    {
        _validation ??= Captions(new SceneBench(_scenes).Split(SceneSplit.Validation, Options.ValidationScenes).Select(e => e.Scene).ToArray());
        var (features, ids, start) = _validation.Value;
        using var _ = Autograd.NoGrad();
        var (soft, alpha) = _pipeline.Loss(features, ids, start, Options.Keep, TauAt(Step), new Generator(Options.Seed + 1));
        double hard = new VlmInference(_vlm).AnswerLoss(VisualTokens.Of(features), ToPruner(), ids, AnswerTargets.Masks(ids, start)).Loss.Item();
        bool best = hard < BestHardLoss;
        if (best) { BestHardLoss = hard; ValidationsSinceBest = 0; } else ValidationsSinceBest++;
        return new PrunerValidation(Step, soft.Item(), hard, alpha, best);
    }

    /// <summary>The deployable pruner: the current scorer with hard top-K at the trained budget.</summary>
    public TokenPruner ToPruner() => new(Scorer, new TokenPrunerConfig(Scorer.Width, Scorer.Heads, Scorer.Blocks.Count, Options.Keep));

    /// <summary>Writes the training state (scorer, denoiser, standardiser, optimizer, step, early-stopping state) atomically.</summary>
    public void SaveCheckpoint(string path) => _checkpoint.Save(path, Step, _optimizer.AdamW,
        ("best_hard_loss", BestHardLoss.ToString("R", CultureInfo.InvariantCulture)), ("validations_since_best", ValidationsSinceBest.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Continues a run from <paramref name="path"/> with the same VLM and options.</summary>
    /// <exception cref="InvalidDataException">Not a pruner-training checkpoint, damaged, or other options or VLM.</exception>
    public static PrunerTrainer Resume(string path, LlavaModel vlm, WordTokenizer tokenizer, SceneOptions scenes, PrunerTrainingOptions options, CaptionFeaturePool? pool = null)
    {
        options.Validate();
        int dv = vlm.Config.Vision.HiddenSize;
        var trainer = new PrunerTrainer(vlm, tokenizer, scenes, options, new TokenStandardizer(Tensor.Zeros(dv), Tensor.Ones(dv)), new Generator(0), pool);
        var (step, contents) = trainer._checkpoint.Load(path);
        var inv = CultureInfo.InvariantCulture;
        trainer.Step = step;
        trainer.BestHardLoss = double.Parse(contents.Metadata["best_hard_loss"], inv);
        trainer.ValidationsSinceBest = int.Parse(contents.Metadata["validations_since_best"], inv);
        if (contents.HasOptimizer) trainer._optimizer.AdamW.SetState(contents.OptimizerStep, contents.Moments);
        return trainer;
    }
}
