using System.Globalization;
using System.Text;
using DiffPrune.Pruning;

namespace DiffPrune.Training.Pruner;

/// <summary>
/// How <see cref="PrunerTrainer"/> trains a pruner (paper §4 and appendix: AdamW lr 2e-4 with cosine decay, batch 32,
/// τ cosine-annealed over 2,000 steps, early stopping on validation loss). One departure: the paper anneals τ 2.0 → 0.1 on
/// raw logits, which here left α soft (mean α in the top-K 0.83 at K = 8, 0.65 at K = 16) because the budget's boundary
/// falls among many near-tied tokens; the default divides each image's standardised logits by τ and ends at 0.01
/// (<see cref="LogitScale"/> and <see cref="TauEnd"/> restore the paper's form). <see cref="Describe"/> goes into
/// checkpoints so that a resume with other options is refused.
/// </summary>
public sealed record PrunerTrainingOptions
{
    /// <summary>Seed of the pruner's weights and of every data and noise draw.</summary>
    public ulong Seed { get; init; }

    /// <summary>Tokens kept per image (K).</summary>
    public int Keep { get; init; } = 16;

    /// <summary>Kept share of each image's own N_i instead of one K (K_i = round(rate × N_i), the paper's budget for
    /// Qwen2.5-VL, whose images give different N); null: every image keeps <see cref="Keep"/>, which then names the pruner's
    /// K for a typical image.</summary>
    public double? KeepRate { get; init; }

    /// <summary>Training steps.</summary>
    public int Steps { get; init; } = 200;

    /// <summary>Captions per step.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>AdamW at a peak learning rate of 2e-4 (the paper's), cosine decay to 10 % over the run.</summary>
    public OptimizerSettings Optimizer { get; init; } = new() { LearningRate = 2e-4 };

    /// <summary>τ at step 0.</summary>
    public double TauStart { get; init; } = 2.0;

    /// <summary>τ at the end of its schedule.</summary>
    public double TauEnd { get; init; } = 0.01;

    /// <summary>Steps of the τ schedule; a shorter run anneals over its own length instead.</summary>
    public int TauSteps { get; init; } = 2000;

    /// <summary>What τ divides: the raw logits, or each image's standardised logits (see <see cref="Pruning.LogitScale"/>).</summary>
    public LogitScale LogitScale { get; init; } = LogitScale.Standardized;

    /// <summary>The throttler (DiffPrune's or an ablation).</summary>
    public ThrottlerKind Throttler { get; init; } = ThrottlerKind.VpNoise;

    /// <summary>The denoiser's attention (diagonal, or the global ablation).</summary>
    public DenoiserAttention Denoiser { get; init; } = DenoiserAttention.Diagonal;

    /// <summary>Training scenes whose features fix the standardiser's channel statistics.</summary>
    public int StandardizerScenes { get; init; } = 64;

    /// <summary>Validation scenes (captions) for the validation losses and early stopping.</summary>
    public int ValidationScenes { get; init; } = 32;

    /// <summary>Steps between validations (each also writes a checkpoint).</summary>
    public int EvalEvery { get; init; } = 50;

    /// <summary>Steps between checkpoints besides those at validations and at the end: about a minute of training at batch 32.</summary>
    public int CheckpointEvery { get; init; } = 25;

    /// <summary>Validations in a row without a better hard-top-K validation loss before training stops early.</summary>
    public int Patience { get; init; } = 4;

    /// <summary>Training scenes encoded once by the frozen vision tower and drawn from at every step
    /// (<see cref="CaptionFeaturePool"/>); 0 draws and encodes fresh scenes at every step instead.</summary>
    public int FeaturePool { get; init; } = 2048;

    /// <summary>Train on the suites' questions as well as the captions (half the examples each; needs a feature pool). The paper
    /// trains on captions alone.</summary>
    public bool WithQuestions { get; init; }

    /// <summary>Transformer blocks of the scorer (the paper: 2).</summary>
    public int ScorerLayers { get; init; } = 2;

    /// <summary>Tokens per image that reach the frozen VLM during training: the M highest-scoring throttled ones, the rest left out
    /// as at deployment; 0 (the paper) passes all N, the dropped ones as noise (<see cref="PrunerPipeline"/>).</summary>
    public int Candidates { get; init; }

    /// <summary>The denoiser corrects each token in proportion to its noise share 1 − α, so tokens kept whole reach the VLM as at
    /// deployment, where the denoiser is gone; false (the paper) lets it reshape every token (<see cref="PrunerPipeline"/>).</summary>
    public bool GatedDenoiser { get; init; }

    /// <summary>A trained pruner's folder whose scorer (and the denoiser stored beside it) the run starts from instead of fresh
    /// weights: fine-tuning, for instance at another K or with the deployed input (<see cref="Candidates"/> = K and a
    /// <see cref="GatedDenoiser"/>); null starts from scratch (the paper).</summary>
    public string? InitFrom { get; init; }

    /// <summary>Steps over which τ anneals.</summary>
    public int TauSpan => Math.Min(TauSteps, Steps);

    /// <summary>Checks the options and returns them.</summary>
    /// <exception cref="ArgumentException">Names the option at fault.</exception>
    public PrunerTrainingOptions Validate()
    {
        var rules = new OptionRules("pruner training options");
        rules.Require(Keep >= 1, $"Keep = {Keep} must be at least 1");
        rules.Require(Steps >= 1 && BatchSize >= 1, $"Steps = {Steps} and BatchSize = {BatchSize} must be at least 1");
        Optimizer.Validate(rules);
        rules.Require(TauStart > 0 && TauEnd > 0 && TauSteps >= 1 && double.IsFinite(TauStart) && double.IsFinite(TauEnd), $"τ schedule {TauStart} → {TauEnd} over {TauSteps} steps must be positive");
        rules.Require(ScorerLayers is >= 1 and <= 12, $"ScorerLayers = {ScorerLayers} must be 1..12 (the paper: 2)");
        rules.Require(Candidates == 0 || Candidates >= Keep, $"Candidates = {Candidates} must be 0 (all tokens) or at least Keep = {Keep}");
        rules.Require(KeepRate is null or (> 0 and < 1), $"KeepRate = {KeepRate} must be in (0, 1): the share of each image's tokens kept");
        rules.Require(FeaturePool >= 0, $"FeaturePool = {FeaturePool} must be ≥ 0 (0: fresh scenes at every step)");
        rules.Require(!WithQuestions || FeaturePool > 0, "WithQuestions needs a feature pool (FeaturePool > 0)");
        rules.Require(StandardizerScenes >= 2 && ValidationScenes >= 1 && EvalEvery >= 1 && CheckpointEvery >= 1 && Patience >= 1,
            $"StandardizerScenes = {StandardizerScenes}, ValidationScenes = {ValidationScenes}, EvalEvery = {EvalEvery}, CheckpointEvery = {CheckpointEvery}, Patience = {Patience}");
        return this;
    }

    /// <summary>Every option that shapes the weights, one per line: stored in checkpoints and reports.</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        void Line(string name, object value) => sb.Append(name).Append(" = ").Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append('\n');
        Line("seed", Seed);
        Line("keep", Keep);
        if (KeepRate is { } rate) Line("keep_rate", rate);   // absent at one K for every image, so earlier runs resume
        Line("steps", Steps);
        Line("batch_size", BatchSize);
        Optimizer.Describe(sb, withSchedule: false);
        Line("tau", $"{TauStart.ToString(CultureInfo.InvariantCulture)} -> {TauEnd.ToString(CultureInfo.InvariantCulture)} over {TauSteps}");
        Line("logit_scale", LogitScale);
        if (ScorerLayers != 2) Line("scorer_layers", ScorerLayers);   // absent at the paper's 2, so earlier runs resume
        if (Candidates != 0) Line("candidates", Candidates);   // absent for the paper's all-N input, so earlier runs resume
        Line("throttler", Throttler);
        Line("denoiser", Denoiser);
        if (GatedDenoiser) Line("gated_denoiser", GatedDenoiser);
        Line("standardizer_scenes", StandardizerScenes);
        Line("feature_pool", FeaturePool);
        if (WithQuestions) Line("with_questions", WithQuestions);
        if (InitFrom != null) Line("init", Path.GetFullPath(InitFrom));   // absent from scratch, so earlier runs resume
        Line("validation_scenes", ValidationScenes);
        Line("eval_every", EvalEvery);
        Line("patience", Patience);
        return sb.ToString();
    }
}
