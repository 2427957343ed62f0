using System.Globalization;
using System.Text;
using DiffPrune.Data.Images;
using DiffPrune.Training;

namespace DiffPrune.Probes;

/// <summary>
/// What the pilot probe (paper §3, Fig. 1c, Fig. 2, Fig. 4b) measures and how long it trains. The defaults (five seeds)
/// are sized to finish within twenty minutes on two cores: per seed, fewer classifier steps, a coarser loss slice and fewer
/// test images than one seed alone could afford, traded for a mean ± sd. <see cref="Quick"/> runs in well under a minute
/// (for CI) and measures the same things on far less data, so its numbers are a smoke test, not a result.
/// </summary>
public sealed record ProbeOptions
{
    /// <summary>Seed of every weight, mini-batch and noise draw of the first run: same seed, same numbers.</summary>
    public ulong Seed { get; init; }

    /// <summary>Independent runs, seeded <see cref="Seed"/>, <see cref="Seed"/> + 1, …: every measurement is reported as mean ± sd over them.</summary>
    public int Seeds { get; init; } = 5;

    /// <summary>Encoder sizes, smallest first (the paper's claim is that the coherence gap grows with size).</summary>
    public IReadOnlyList<ProbeEncoder> Encoders { get; init; } = [new("tiny", 32, 2, 2), new("small", 64, 2, 4)];

    /// <summary>Tokens kept by the scorer (K = 58 of N = 196: 70 % pruned, as in the paper).</summary>
    public int Keep { get; init; } = 58;

    /// <summary>Classifier training steps (AdamW, warmup then cosine).</summary>
    public int ClassifierSteps { get; init; } = 160;

    /// <summary>Random erasing of the classifier's training images (DeiT-Base's p = 0.25 with per-pixel Gaussian noise); probability 0 turns it off.</summary>
    public RandomErasing ClassifierErasing { get; init; } = new();

    /// <summary>Images per classifier step.</summary>
    public int ClassifierBatch { get; init; } = 32;

    /// <summary>The classifier's AdamW (DeiT's weight decay 0.05), warmed up over a tenth of the default run, then cosine to a tenth.</summary>
    public OptimizerSettings ClassifierOptimizer { get; init; } = new() { LearningRate = 2e-3, WeightDecay = 0.05, WarmupSteps = 16 };

    /// <summary>Training images whose patch tokens fix the standardiser's channel statistics.</summary>
    public int StandardizerImages { get; init; } = 256;

    /// <summary>Scorer hidden units per token channel (the MLP is d → ratio·d → 1).</summary>
    public int ScorerHiddenRatio { get; init; } = 4;

    /// <summary>Scorer training steps per method.</summary>
    public int ScorerSteps { get; init; } = 60;

    /// <summary>Images per scorer step.</summary>
    public int ScorerBatch { get; init; } = 16;

    /// <summary>The scorer's AdamW, at a constant learning rate.</summary>
    public OptimizerSettings ScorerOptimizer { get; init; } = new() { LearningRate = 1e-3, FinalLearningRateFraction = 1 };

    /// <summary>τ at the first scorer step (cosine to <see cref="TauEnd"/> over the scorer steps).</summary>
    public double TauStart { get; init; } = 1.0;

    /// <summary>τ at the last scorer step.</summary>
    public double TauEnd { get; init; } = 0.1;

    /// <summary>Points along scorer training (first and last step included) where gradient coherence is measured.</summary>
    public int CoherenceCheckpoints { get; init; } = 5;

    /// <summary>Mini-batches whose gradients are compared at each checkpoint (all pairs).</summary>
    public int CoherenceBatches { get; init; } = 6;

    /// <summary>Images per coherence mini-batch.</summary>
    public int CoherenceBatchSize { get; init; } = 16;

    /// <summary>Grid points per axis of the loss slice (odd, so that the trained scorer is a grid point).</summary>
    public int LandscapeGrid { get; init; } = 13;

    /// <summary>Half-width of the slice: coordinates run over [−r, r] along each filter-normalised direction.</summary>
    public double LandscapeRange { get; init; } = 1.0;

    /// <summary>Images of the fixed batch the loss slice is evaluated on.</summary>
    public int LandscapeImages { get; init; } = 8;

    /// <summary>Test images scored for Fig. 4b (and the classifiers' test accuracy).</summary>
    public int AccuracyImages { get; init; } = 400;

    /// <summary>Fractions of the N tokens kept in Fig. 4b.</summary>
    public IReadOnlyList<double> KeepFractions { get; init; } = [0.25, 0.5, 0.75];

    /// <summary>τ of the Soft Top-K that turns Fig. 4b's random scores into VP-Noise weights α.</summary>
    public double AccuracyTau { get; init; } = 0.1;

    /// <summary>Folder with the Fashion-MNIST files (null: where <c>dataset-fashion-mnist</c> installs them).</summary>
    public string? DataDirectory { get; init; }

    /// <summary>A CI-sized probe: the same measurements on a few steps, batches and images.</summary>
    public static ProbeOptions Quick { get; } = new()
    {
        Seeds = 2,
        Encoders = [new("tiny", 16, 1, 2), new("small", 32, 2, 2)],
        ClassifierSteps = 30,
        ClassifierOptimizer = new ProbeOptions().ClassifierOptimizer with { WarmupSteps = 3 },
        ClassifierBatch = 16,
        StandardizerImages = 64,
        ScorerSteps = 6,
        ScorerBatch = 8,
        CoherenceCheckpoints = 2,
        CoherenceBatches = 3,
        CoherenceBatchSize = 8,
        LandscapeGrid = 5,
        LandscapeImages = 8,
        AccuracyImages = 64,
    };

    /// <summary>Checks the options and returns them.</summary>
    /// <exception cref="ArgumentException">Names the option at fault and the range it must lie in.</exception>
    public ProbeOptions Validate()
    {
        var rules = new OptionRules("probe options");
        rules.Require(Encoders.Count >= 1, "at least one encoder size is needed");
        foreach (var e in Encoders)
        {
            rules.Require(e.Width >= 2 && e.Depth >= 1 && e.Heads >= 1 && e.Width % e.Heads == 0, $"encoder {e}: width, depth and heads must be positive and the heads must divide the width");
            rules.Require(e.Name.Length > 0 && e.Name.All(char.IsAsciiLetterOrDigit), $"encoder name '{e.Name}' must be letters and digits (it names files)");
        }
        rules.Require(Encoders.Select(e => e.Name).Distinct().Count() == Encoders.Count, "encoder names must differ");
        int n = Encoders[0].Config.NumPatches;
        rules.Require(Keep >= 1 && Keep < n, $"keep K = {Keep} must be in 1..{n - 1} (N = {n} tokens; K = N prunes nothing)");
        rules.Require(Seeds >= 1, $"seeds {Seeds} must be at least 1");
        try { ClassifierErasing.Validate(); }
        catch (ArgumentException ex) { rules.Require(false, ex.Message); }
        rules.Require(ClassifierSteps >= 1 && ClassifierBatch >= 1, $"classifier steps {ClassifierSteps} and batch {ClassifierBatch} must be positive");
        ClassifierOptimizer.Validate(rules with { Owner = "probe options, classifier" });
        ScorerOptimizer.Validate(rules with { Owner = "probe options, scorer" });
        rules.Require(StandardizerImages >= 2, $"standardizer images {StandardizerImages} must be at least 2");
        rules.Require(ScorerHiddenRatio >= 1 && ScorerSteps >= 1 && ScorerBatch >= 1, $"scorer hidden ratio {ScorerHiddenRatio}, steps {ScorerSteps} and batch {ScorerBatch} must be positive");
        rules.Require(TauStart > 0 && TauEnd > 0 && double.IsFinite(TauStart) && double.IsFinite(TauEnd), $"τ schedule {TauStart} → {TauEnd} must be positive and finite");
        rules.Require(CoherenceCheckpoints >= 1 && CoherenceCheckpoints <= ScorerSteps + 1, $"coherence checkpoints {CoherenceCheckpoints} must be in 1..{ScorerSteps + 1} (scorer steps + 1)");
        rules.Require(CoherenceBatches >= 2 && CoherenceBatchSize >= 1, $"coherence needs at least 2 mini-batches of at least 1 image (got {CoherenceBatches} of {CoherenceBatchSize})");
        rules.Require(LandscapeGrid >= 3 && LandscapeGrid % 2 == 1, $"landscape grid {LandscapeGrid} must be odd and at least 3");
        rules.Require(LandscapeRange > 0 && double.IsFinite(LandscapeRange) && LandscapeImages >= 1, $"landscape range {LandscapeRange} and images {LandscapeImages} must be positive");
        rules.Require(AccuracyImages >= 1 && AccuracyTau > 0, $"accuracy images {AccuracyImages} and τ {AccuracyTau} must be positive");
        rules.Require(KeepFractions.Count >= 1 && KeepFractions.All(f => f > 0 && f <= 1 && (int)Math.Round(f * n) >= 1), $"keep fractions must lie in (0, 1] and keep at least one of {n} tokens");
        return this;
    }

    /// <summary>The pilot probe's number of patch tokens N.</summary>
    public int Tokens => Encoders[0].Config.NumPatches;

    /// <summary>Scorer steps at which coherence is measured: evenly spaced from 0 to <see cref="ScorerSteps"/> inclusive.</summary>
    public int[] CoherenceSteps() => CoherenceCheckpoints == 1
        ? [ScorerSteps]
        : Enumerable.Range(0, CoherenceCheckpoints).Select(i => (int)Math.Round((double)i * ScorerSteps / (CoherenceCheckpoints - 1))).Distinct().ToArray();

    /// <summary>Every option, one per line (for reports): the seeds, then <see cref="DescribeSeedRun"/>.</summary>
    public string Describe() =>
        $"seeds = {(Seeds == 1 ? $"{Seed}" : $"{Seed}..{Seed + (ulong)Seeds - 1} ({Seeds} runs)")}\n" + DescribeSeedRun();

    /// <summary>Every option that shapes one seed's numbers, one per line: all but the seed range (a seed's numbers do not depend on
    /// which other seeds run). A resumed run must match it (<see cref="ProbeLog"/>).</summary>
    public string DescribeSeedRun()
    {
        var sb = new StringBuilder();
        void Line(string name, object value) => sb.Append(name).Append(" = ").Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append('\n');
        void Optimizer(string prefix, OptimizerSettings settings)
        {
            var lines = new StringBuilder();
            settings.Describe(lines, withSchedule: true);
            foreach (var line in lines.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)) sb.Append(prefix).Append(line).Append('\n');
        }
        Line("encoders", string.Join("; ", Encoders));
        Line("keep", $"{Keep} of {Tokens}");
        Line("classifier", $"{ClassifierSteps} steps x {ClassifierBatch} images, lr {ClassifierOptimizer.LearningRate.ToString(CultureInfo.InvariantCulture)}");
        var re = ClassifierErasing;
        Line("classifier_random_erasing", re.Probability > 0
            ? string.Create(CultureInfo.InvariantCulture, $"p {re.Probability}, area {re.MinArea:0.###}-{re.MaxArea:0.###}, aspect {re.MinAspect:0.###}-{re.MaxAspect:0.###}, per-pixel N(0, 1) after normalisation")
            : "off");
        Optimizer("classifier_", ClassifierOptimizer);
        Line("standardizer_images", StandardizerImages);
        Line("scorer", $"MLP d -> {ScorerHiddenRatio}d -> 1, {ScorerSteps} steps x {ScorerBatch} images, lr {ScorerOptimizer.LearningRate.ToString(CultureInfo.InvariantCulture)}, tau {TauStart.ToString(CultureInfo.InvariantCulture)} -> {TauEnd.ToString(CultureInfo.InvariantCulture)}");
        Optimizer("scorer_", ScorerOptimizer);
        Line("coherence", $"{CoherenceCheckpoints} checkpoints x {CoherenceBatches} mini-batches of {CoherenceBatchSize}");
        Line("landscape", $"{LandscapeGrid}x{LandscapeGrid} on [-{LandscapeRange.ToString(CultureInfo.InvariantCulture)}, {LandscapeRange.ToString(CultureInfo.InvariantCulture)}]^2, {LandscapeImages} images");
        Line("accuracy", $"{AccuracyImages} test images, keep {string.Join("/", KeepFractions.Select(f => (f * 100).ToString("0.#", CultureInfo.InvariantCulture)))} %, VP-Noise tau {AccuracyTau.ToString(CultureInfo.InvariantCulture)}");
        Line("data", DataDirectory ?? $"{FashionMnist.DefaultDirectory} (default)");
        return sb.ToString();
    }
}
