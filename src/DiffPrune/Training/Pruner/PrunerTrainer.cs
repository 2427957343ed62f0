using System.Diagnostics;
using System.Globalization;
using DiffPrune.Training.Pretraining;
using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Distributed;
using DiffPrune.Tensors.IO;
using DiffPrune.Tensors.Nn;
using DiffPrune.Tensors.Optim;

namespace DiffPrune.Training.Pruner;

/// <summary>
/// Trains DiffPrune's scorer and denoiser on SceneBench captions through a frozen VLM (or an ablation, by
/// <see cref="PrunerTrainingOptions.Throttler"/>). Each step draws its scenes and noise from a generator seeded by
/// (seed, step), so a resumed run takes exactly the steps an uninterrupted one takes. Validation compares the soft
/// training objective with the deployed hard top-K on the same captions; early stopping follows the hard loss.
/// Under mpiexec (<see cref="DataParallel"/>) each rank computes a contiguous share of every batch and of the validation
/// captions, the throttler's noise for those rows is the single process's, and the ranks start from rank 0's state.
/// </summary>
public sealed class PrunerTrainer
{
    const string Format = "diffprune-pruner-training-v1";

    // τ at which Soft Top-K of standardised (or any sensibly spread) logits is binary in float: the validation's binary-α loss
    const double BinaryTau = 1e-6;
    readonly IVisionLanguageModel _vlm;
    readonly WordTokenizer _tokenizer;
    readonly SceneOptions _scenes;
    readonly PrunerPipeline _pipeline;
    readonly GuardedOptimizer _optimizer;
    readonly TrainingCheckpoint _checkpoint;
    readonly CaptionFeaturePool? _pool;
    readonly DataParallel? _parallel;
    (Captions Share, int First, double Weight)? _validation;

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

    /// <summary>After a resume, the line that says the GEMM backend of the run was taken again or could not be (else null).</summary>
    public string? GemmNote { get; private set; }

    /// <summary>Best hard-top-K validation loss so far (∞ before the first validation).</summary>
    public double BestHardLoss { get; private set; } = double.PositiveInfinity;

    /// <summary>Validations since the best one.</summary>
    public int ValidationsSinceBest { get; private set; }

    /// <summary>True when every step is taken or early stopping triggered.</summary>
    public bool Done => Step >= Options.Steps || ValidationsSinceBest >= Options.Patience;

    PrunerTrainer(IVisionLanguageModel vlm, WordTokenizer tokenizer, SceneOptions scenes, PrunerTrainingOptions options, TokenStandardizer standardizer, Generator gen, CaptionFeaturePool? pool,
        DataParallel? parallel)
    {
        CheckFits(vlm, scenes, options);
        parallel?.Share(options.BatchSize, "--batch-size");
        parallel?.Share(options.ValidationScenes, "--validation-scenes");
        _parallel = parallel;
        _pool = options.FeaturePool == 0 ? null : pool ?? CaptionFeaturePool.Encode(vlm, tokenizer, scenes, options.FeaturePool, PoolSeed(options), questions: options.WithQuestions,
            world: parallel?.World);
        if (_pool != null && (_pool.Count != options.FeaturePool || _pool.Seed != PoolSeed(options) || _pool.WithQuestions != options.WithQuestions))
            throw new ArgumentException($"the feature pool holds {_pool.Count} scenes drawn with seed {_pool.Seed}{(_pool.WithQuestions ? " with questions" : "")}; these options want {options.FeaturePool} drawn with {PoolSeed(options)}{(options.WithQuestions ? " with questions" : "")} (CaptionFeaturePool.Encode with PrunerTrainer.PoolSeed)");
        int dv = vlm.VisualWidth;
        _vlm = vlm;
        _tokenizer = tokenizer;
        _scenes = scenes;
        Options = options;
        var frozen = Weights(vlm);
        frozen.RequiresGrad(false);
        Standardizer = standardizer;
        Scorer = new TokenScorer(dv, gen, layers: options.ScorerLayers);
        Denoiser = new Denoiser(dv, gen, options.Denoiser);
        _pipeline = new PrunerPipeline(new VlmInference(vlm), Scorer, Denoiser, options.Throttler.Create(), Standardizer, options.LogitScale, options.Candidates, options.GatedDenoiser);
        _optimizer = new GuardedOptimizer(options.Optimizer, Scorer.Parameters().Concat(Denoiser.Parameters()), options.Steps, "pruner training", parallel);
        _checkpoint = new TrainingCheckpoint(Format, new Dictionary<string, Module> { ["scorer"] = Scorer, ["denoiser"] = Denoiser, ["standardizer"] = Standardizer },
            new Dictionary<string, string> { ["options"] = options.Describe(), ["vlm_config"] = ConfigJson(vlm) }, frozen: frozen);
    }

    static void CheckFits(IVisionLanguageModel vlm, SceneOptions scenes, PrunerTrainingOptions options)
    {
        int n = vlm.MaxVisualTokens;
        if (options.Keep >= n) throw new ArgumentException($"pruner training options: Keep = {options.Keep} must be below the {n} visual tokens (K = N prunes nothing)");
        if (!SceneVlm.Reads(vlm, scenes)) throw new ArgumentException(SceneVlm.Mismatch(vlm, scenes));
        if (vlm.BudgetTokens == null && options.KeepRate == null)
            throw new ArgumentException("pruner training options: this model's images give their own N (native resolution): give a kept rate (KeepRate, --keep-rate), K_i = round(rate × N_i)");
    }

    /// <summary>The frozen model's weights (a trained model is a module).</summary>
    static Module Weights(IVisionLanguageModel vlm) => vlm as Module
        ?? throw new ArgumentException($"pruner training needs the frozen model's weights; {vlm.GetType().Name} is no module");

    /// <summary>The frozen model's architecture, which a resume must match.</summary>
    static string ConfigJson(IVisionLanguageModel vlm) => vlm switch
    {
        LlavaModel llava => HfConfig.ToJson(llava.Config),
        Qwen25VlModel qwen => HfConfig.ToJson(qwen.Config),
        _ => throw new ArgumentException($"pruner training runs LLaVA and Qwen2.5-VL models, not {vlm.GetType().Name}"),
    };

    /// <summary>The seed of the training scenes in the feature pool of a run with <paramref name="options"/>.</summary>
    public static ulong PoolSeed(PrunerTrainingOptions options) => options.Seed ^ 0x5EEDF00DUL;

    /// <summary>A fresh run on the frozen <paramref name="vlm"/> (its weights are never changed); <paramref name="pool"/>
    /// shares features another run encoded (it must be <see cref="PrunerTrainingOptions.FeaturePool"/> scenes drawn with <see cref="PoolSeed"/>).</summary>
    /// <exception cref="ArgumentException">Bad options, K ≥ N, scenes of another geometry than the VLM's, a pool that does not fit, or fewer batch rows than ranks.</exception>
    public static PrunerTrainer Create(IVisionLanguageModel vlm, WordTokenizer tokenizer, SceneOptions scenes, PrunerTrainingOptions options, CaptionFeaturePool? pool = null, Communicator? world = null)
    {
        options.Validate();
        CheckFits(vlm, scenes, options);
        var gen = new Generator(options.Seed);
        var images = SceneBench.DrawTrainingScenes(gen, options.StandardizerScenes, scenes).Select(s => s.Image).ToArray();
        int dv = vlm.VisualWidth;
        var standardizer = new TokenStandardizer(Tensor.Zeros(dv), Tensor.Ones(dv));
        if (world is not { IsRoot: false })     // the other ranks receive rank 0's (ShareRootState)
            using (Autograd.NoGrad()) standardizer = TokenStandardizer.Fit(RealTokens(vlm.Encode(images, ImageNormalization.Clip, attentions: false)));
        var trainer = new PrunerTrainer(vlm, tokenizer, scenes, options, standardizer, gen, pool, DataParallel.Over(world));
        if (options.InitFrom != null && world is not { IsRoot: false }) trainer.StartFrom(options.InitFrom);
        trainer.ShareRootState();
        return trainer;
    }

    /// <summary>Copies a trained pruner's scorer, and the denoiser stored beside it, into this run's fresh modules.</summary>
    /// <exception cref="ArgumentException">A pruner of another width, depth or denoiser attention than these options train.</exception>
    /// <exception cref="FileNotFoundException">No pruner in <paramref name="dir"/>, or none with its denoiser beside it.</exception>
    void StartFrom(string dir)
    {
        var init = TokenPruner.Load(dir, withDenoiser: true);
        var (config, denoiser) = (init.Config, init.Denoiser!);
        if (config.VisionWidth != Scorer.Width || config.Layers != Scorer.Blocks.Count || denoiser.Attention != Denoiser.Attention)
            throw new ArgumentException($"--init {dir}: its scorer is {config.VisionWidth} wide with {config.Layers} blocks and a {denoiser.Attention} denoiser; " +
                $"this run trains {Scorer.Width} wide with {Scorer.Blocks.Count} blocks (--scorer-layers) and a {Denoiser.Attention} denoiser (--denoiser)");
        Scorer.LoadStateDict(init.Scorer.StateDict(), source: dir);
        Denoiser.LoadStateDict(denoiser.StateDict(), source: Path.Combine(dir, Denoiser.FileName));
    }

    /// <summary>The real tokens of a batch (B, N, d), or of a padded one all in one row (1, ΣN_i, d): padding must not shift the statistics.</summary>
    static Tensor RealTokens(VisualTokens tokens) => !tokens.IsPadded ? tokens.Features
        : Tensor.Cat(Enumerable.Range(0, tokens.PatchIndex.Length).Select(i => tokens.Sample(i).Features).ToArray(), 1);

    /// <summary>Rank 0's weights, optimizer state and progress on every rank (nothing without data parallelism).</summary>
    void ShareRootState()
    {
        if (_parallel == null) return;
        _parallel.AgreeOnGemm();
        _parallel.Broadcast(Scorer.Parameters().Concat(Denoiser.Parameters()).Concat(Standardizer.Parameters()));
        _parallel.Broadcast(_optimizer.AdamW);
        Span<double> progress = [Step, BestHardLoss, ValidationsSinceBest];
        _parallel.Broadcast(progress);
        (Step, BestHardLoss, ValidationsSinceBest) = ((int)progress[0], progress[1], (int)progress[2]);
    }

    Generator StepGenerator(int step) => new(Options.Seed ^ ((ulong)(step + 1) * 0xD1B54A32D192ED03UL));

    /// <summary>τ at <paramref name="step"/>: cosine from TauStart to TauEnd over <see cref="PrunerTrainingOptions.TauSpan"/>.</summary>
    public double TauAt(int step) => new CosineSchedule(Options.TauStart, Options.TauEnd, Options.TauSpan).At(step);

    /// <summary>Visual tokens (B, N, d_v) of a batch's images, and its training sequences with where their answers start.</summary>
    readonly record struct Captions(VisualTokens Tokens, int[][] Ids, int[] AnswerStart)
    {
        /// <summary>Answer tokens the mean caption loss runs over.</summary>
        public int AnswerTokens
        {
            get
            {
                int tokens = 0;
                for (int i = 0; i < Ids.Length; i++) tokens += Ids[i].Length - AnswerStart[i];
                return tokens;
            }
        }
    }

    /// <summary>This rank's rows of a batch drawn from <paramref name="scenes"/> (or the pool), where they start in it, and the weight
    /// of their mean loss in the batch's (their share of its answer tokens: 1 for one process).</summary>
    (Captions Share, int First, double Weight) ShareOf(IReadOnlyList<Scene> scenes, string what)
    {
        var ids = scenes.Select(s => ScenePrompt.TrainingIds(_tokenizer, "", s.Caption)).ToArray();
        var (first, count) = _parallel?.Share(scenes.Count, what) ?? (0, scenes.Count);
        VisualTokens tokens;
        var mine = scenes.Skip(first).Take(count).Select(s => s.Image).ToArray();
        using (Autograd.NoGrad()) tokens = _vlm.Encode(mine, ImageNormalization.Clip, attentions: false);
        return Weighted(new Captions(tokens, ids.Select(s => s.Ids).ToArray(), ids.Select(s => s.AnswerStart).ToArray()), first, count, encoded: true);
    }

    (Captions Share, int First, double Weight) ShareOf(Captions batch, string what)
    {
        var (first, count) = _parallel?.Share(batch.Ids.Length, what) ?? (0, batch.Ids.Length);
        return Weighted(batch, first, count, encoded: false);
    }

    static (Captions Share, int First, double Weight) Weighted(Captions batch, int first, int count, bool encoded)
    {
        if (count == batch.Ids.Length) return (batch, 0, 1.0);
        var share = new Captions(encoded ? batch.Tokens : batch.Tokens.Rows(Enumerable.Range(first, count).ToArray()), batch.Ids[first..(first + count)], batch.AnswerStart[first..(first + count)]);
        return (share, first, (double)share.AnswerTokens / batch.AnswerTokens);
    }

    /// <summary>This rank's part of a batch's mean loss: its own mean, weighted by its share (unchanged in one process).</summary>
    static Tensor PartOf(Tensor loss, double weight) => weight == 1.0 ? loss : loss.Mul((float)weight);

    /// <summary>α statistics of the whole batch from each rank's (means over its <paramref name="rows"/> of <paramref name="total"/>).</summary>
    AlphaStats Combine(AlphaStats mine, int rows, int total)
    {
        if (_parallel == null) return mine;
        double w = (double)rows / total;
        var sums = _parallel.Sum(w * mine.MeanInsideTopK, w * mine.MassOutsideTopK, w * (mine.LogitSpread ?? 0), w * (mine.EffectiveTokens ?? 0));
        return new AlphaStats(sums[0], sums[1], mine.LogitSpread == null ? null : sums[2], mine.EffectiveTokens == null ? null : sums[3]);
    }

    /// <summary>Takes the next step.</summary>
    /// <exception cref="InvalidOperationException">Training is done.</exception>
    /// <exception cref="TrainingDivergedException">The loss or gradient was not finite too often (nothing updated; the last checkpoint is intact).</exception>
    public PrunerStepReport TrainStep()
    {
        if (Done) throw new InvalidOperationException($"pruner training is done (step {Step} of {Options.Steps})");
        var clock = Stopwatch.StartNew();
        int fullCollections = GC.CollectionCount(2);
        // every tensor of the step goes back to the engine's pool at its end: the next step reuses the buffers
        using var scope = TensorScope.Begin();
        var gen = StepGenerator(Step);
        double tau = TauAt(Step);
        var (share, first, weight) = _pool != null
            ? ShareOf(_pool.Batch(gen, Options.BatchSize) is var (f, i, a) ? new Captions(f, i, a) : default, "--batch-size")
            : ShareOf(SceneBench.DrawTrainingScenes(gen, Options.BatchSize, _scenes), "--batch-size");
        var noise = _parallel == null ? gen : new BatchNoise(gen, first, Options.BatchSize);
        (Tensor Loss, AlphaStats Alpha) batch = default;
        var update = _optimizer.Step(Step, () =>
        {
            batch = Loss(share, tau, noise);
            return GuardedOptimizer.Backward(PartOf(batch.Loss, weight));
        });
        var alpha = Combine(batch.Alpha!, share.Ids.Length, Options.BatchSize);
        return new PrunerStepReport(Step++, update.Loss, tau, update.LearningRate, alpha, Options.BatchSize, clock.Elapsed.TotalSeconds)
        {
            AllreduceSeconds = _parallel?.LastSeconds,
            FullCollections = GC.CollectionCount(2) - fullCollections,
        };
    }

    /// <summary>Soft and hard validation losses on the first <see cref="PrunerTrainingOptions.ValidationScenes"/> validation
    /// captions; updates early stopping.</summary>
    public PrunerValidation Validate()
    {
        _validation ??= ShareOf(new SceneBench(_scenes).Split(SceneSplit.Validation, Options.ValidationScenes).Select(e => e.Scene).ToArray(), "--validation-scenes");
        var (captions, first, weight) = _validation.Value;
        var (tokens, ids, start) = captions;
        using var _ = Autograd.NoGrad();
        BatchNoise Noise() => _parallel == null ? new Generator(Options.Seed + 1) : new BatchNoise(new Generator(Options.Seed + 1), first, Options.ValidationScenes);
        var (softLoss, mine) = Loss(captions, TauAt(Step), Noise());
        var binaryLoss = Loss(captions, BinaryTau, Noise()).Loss;
        var masks = AnswerTargets.Masks(ids, start);
        var inference = new VlmInference(_vlm);
        var kept = Options.KeepRate is { } rate ? ToPruner().PruneAtRate(tokens, rate) : ToPruner().Prune(tokens);
        var hardLoss = inference.AnswerLoss(kept, null, ids, masks).Loss;
        var denoisedLoss = inference.AnswerLoss(kept with { Features = _pipeline.DenoiseKept(kept.Features) }, null, ids, masks).Loss;
        double[] losses = [PartOf(softLoss, weight).Item(), PartOf(hardLoss, weight).Item(), PartOf(binaryLoss, weight).Item(), PartOf(denoisedLoss, weight).Item()];
        if (_parallel != null) losses = _parallel.Sum(losses);
        var alpha = Combine(mine, ids.Length, Options.ValidationScenes);
        double hard = losses[1];
        bool best = hard < BestHardLoss;
        if (best) { BestHardLoss = hard; ValidationsSinceBest = 0; } else ValidationsSinceBest++;
        return new PrunerValidation(Step, losses[0], hard, alpha, best) { BinaryLoss = losses[2], DenoisedHardLoss = losses[3] };
    }

    /// <summary>The pipeline's loss on <paramref name="batch"/> at K = <see cref="PrunerTrainingOptions.Keep"/>, or at K_i = round(rate × N_i):
    /// images of the tower's N patches at one K take the fixed-K path; LLaVA-NeXT images (tokens between newlines) and Qwen2.5-VL
    /// ones (each its own grid and N_i) the padded one.</summary>
    (Tensor Loss, AlphaStats Alpha) Loss(Captions batch, double tau, BatchNoise noise)
    {
        var tokens = batch.Tokens;
        if (tokens.Spans == null && tokens.Grids == null && !tokens.IsPadded && Options.KeepRate == null)
            return _pipeline.Loss(tokens.Features, batch.Ids, batch.AnswerStart, Options.Keep, tau, noise);
        var lengths = tokens.PatchIndex.Select(p => p.Length).ToArray();
        var budget = Options.KeepRate is { } rate ? RaggedBudget.FromRate(rate, lengths) : new RaggedBudget(lengths, lengths.Select(_ => Options.Keep).ToArray());
        return _pipeline.Loss(tokens, budget, batch.Ids, batch.AnswerStart, tau, noise);
    }

    /// <summary>The deployable pruner: the current scorer with hard top-K at the trained budget.</summary>
    public TokenPruner ToPruner() => new(Scorer, new TokenPrunerConfig(Scorer.Width, Scorer.Heads, Scorer.Blocks.Count, Options.Keep, KeepRate: Options.KeepRate));

    /// <summary>Writes the training state (scorer, denoiser, standardiser, optimizer, step, early-stopping state) atomically.</summary>
    public void SaveCheckpoint(string path) => _checkpoint.Save(path, Step, _optimizer.AdamW,
        ("best_hard_loss", BestHardLoss.ToString("R", CultureInfo.InvariantCulture)), ("validations_since_best", ValidationsSinceBest.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Continues a run from <paramref name="path"/> with the same VLM and options.</summary>
    /// <exception cref="InvalidDataException">Not a pruner-training checkpoint, damaged, or other options or VLM.</exception>
    /// <remarks>Under data parallelism rank 0 alone reads <paramref name="path"/> and sends the state to the others: a checkpoint holds
    /// the global state only, so a run resumes on any number of ranks.</remarks>
    public static PrunerTrainer Resume(string path, IVisionLanguageModel vlm, WordTokenizer tokenizer, SceneOptions scenes, PrunerTrainingOptions options, CaptionFeaturePool? pool = null,
        Communicator? world = null)
    {
        options.Validate();
        int dv = vlm.VisualWidth;
        var trainer = new PrunerTrainer(vlm, tokenizer, scenes, options, new TokenStandardizer(Tensor.Zeros(dv), Tensor.Ones(dv)), new Generator(0), pool, DataParallel.Over(world));
        if (world is { IsRoot: false }) { trainer.ShareRootState(); return trainer; }
        var (step, contents) = trainer._checkpoint.Load(path);
        var inv = CultureInfo.InvariantCulture;
        trainer.Step = step;
        trainer.GemmNote = contents.GemmNote;
        trainer.BestHardLoss = double.Parse(contents.Metadata["best_hard_loss"], inv);
        trainer.ValidationsSinceBest = int.Parse(contents.Metadata["validations_since_best"], inv);
        if (contents.HasOptimizer) trainer._optimizer.AdamW.SetState(contents.OptimizerStep, contents.Moments);
        trainer.ShareRootState();
        return trainer;
    }
}
