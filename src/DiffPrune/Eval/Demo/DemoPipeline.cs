using System.Diagnostics;
using DiffPrune.Training.Pretraining;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Eval.Profiling;
using DiffPrune.Eval.Reports;
using DiffPrune.Eval.Statistics;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Tensors.Distributed;
using DiffPrune.Training.Pruner;

namespace DiffPrune.Eval.Demo;

/// <summary>
/// What <c>diffprune demo</c> does, as a library, one <see cref="DemoPhase"/> at a time: encode a shared pool of
/// training features; train DiffPrune at the tightest budget (or at every budget) and its three Table 5 ablations
/// there, on the same data and steps; evaluate every method at every budget (Table 1) and the ablations (Table 5) on
/// the same test scenes; profile time to first token (Table 4); draw Figure 5. Everything it reports is computed
/// here, from the frozen VLM it is given (each test image encoded once, for every method); <see cref="WriteReport"/> writes report.md, report.json and the figures.
/// In a world of several ranks (mpiexec) they share the encoding, every training step and the evaluations, with the numbers of one
/// process; rank 0 alone profiles (the others are idle, so its timings are those of a quiet machine), draws and writes.
/// </summary>
public sealed class DemoPipeline
{
    readonly LlavaModel _vlm;
    readonly VlmInference _inference;
    readonly WordTokenizer _tokenizer;
    readonly SceneOptions _scenes;
    readonly IReadOnlyList<SceneExample> _test;
    readonly Dictionary<string, double> _seconds = [];
    readonly Communicator _world;
    CaptionFeaturePool? _pool;
    DiffPrunePruners? _diffPrune;
    readonly List<(AblationRow Config, PrunerTrainingRun Run)> _runs = [];

    /// <summary>The options.</summary>
    public DemoOptions Options { get; }

    /// <summary>The run folder.</summary>
    public string Dir { get; }

    /// <summary>The model's name in the reports.</summary>
    public string ModelName { get; }

    /// <summary>Tokens per image (N).</summary>
    public int VisualTokens => _vlm.Config.MaxVisualTokens;

    /// <summary>The tightest budget's K (the ablations' budget).</summary>
    public int TightestKeep => Options.Budgets.Min(b => BudgetFractions.Keep(b, VisualTokens));

    /// <summary>Table 1, once evaluated.</summary>
    public EvaluationTable? Table { get; private set; }

    /// <summary>Table 5, once evaluated.</summary>
    public IReadOnlyList<AblationRow> Ablations { get; private set; } = [];

    /// <summary>Table 4, once profiled.</summary>
    public ProfileTable? Profile { get; private set; }

    /// <summary>Figure 5, once drawn.</summary>
    public PruneResult? Figure5 { get; private set; }

    /// <summary>Seconds each phase took.</summary>
    public IReadOnlyDictionary<string, double> Seconds => _seconds;

    /// <summary>The training runs (DiffPrune first), with their variant.</summary>
    public IReadOnlyList<(AblationRow Config, PrunerTrainingRun Run)> Runs => _runs;

    /// <summary>A demo of <paramref name="vlm"/> (frozen; never changed) writing into <paramref name="dir"/>, shared by the ranks of
    /// <paramref name="world"/> (default: one process).</summary>
    /// <exception cref="ArgumentException">Bad options, or a VLM whose geometry is not a SceneBench grid.</exception>
    public DemoPipeline(LlavaModel vlm, WordTokenizer tokenizer, string modelName, DemoOptions options, string dir, Communicator? world = null)
    {
        _world = world ?? Communicator.Single;
        Options = options.Validate();
        _vlm = vlm;
        _inference = new VlmInference(vlm);
        _tokenizer = tokenizer;
        _scenes = SceneVlm.Scenes(options.Bench, vlm.Config);
        _test = new SceneBench(_scenes).Split(SceneSplit.Test, options.TestScenes).ToList();
        ModelName = modelName;
        Dir = dir;
    }

    /// <summary>The phases in order. Each is built when the previous one is done (it needs what that one made).</summary>
    public IEnumerable<DemoPhase> Phases()
    {
        yield return Timed(new DemoPhase("encode training features", 1, () => _pool == null ? 0 : 1, EncodePool) { Done = () => _pool != null });
        foreach (var config in TrainingConfigs()) yield return Timed(Training(config));
        yield return Timed(Evaluation());
        yield return Timed(AblationEvaluation());
        if (!_world.IsRoot) yield break;
        yield return Timed(Profiling());
        yield return Timed(DemoPhase.Over("draw Figure 5", [0], _ => DrawFigure5()));
    }

    DemoPhase Timed(DemoPhase phase)
    {
        var clock = new Stopwatch();
        return phase with
        {
            Step = () =>
            {
                clock.Start();
                try { return phase.Step(); }
                finally { clock.Stop(); _seconds[phase.Name] = clock.Elapsed.TotalSeconds; }
            },
        };
    }

    string EncodePool()
    {
        var full = AblationRow.Variants[0];
        var options = TrainingOptions(TightestKeep, full.Throttler, full.Denoiser, full.LogitScale);
        _pool = CaptionFeaturePool.Encode(_vlm, _tokenizer, _scenes, Options.FeaturePool, PrunerTrainer.PoolSeed(options), world: _world);
        return $"{_pool.Count} training scenes encoded by the frozen vision tower";
    }

    IEnumerable<(AblationRow Config, int Keep)> TrainingConfigs()
    {
        var full = AblationRow.Variants[0];
        var keeps = Options.ScorerPerBudget ? Options.Budgets.Select(b => BudgetFractions.Keep(b, VisualTokens)).Distinct().OrderBy(k => k).ToArray() : [TightestKeep];
        foreach (int k in keeps) yield return (Config(full, k), k);
        foreach (var v in AblationRow.Variants.Skip(1)) yield return (Config(v, TightestKeep), TightestKeep);
    }

    static AblationRow Config(AblationVariant v, int keep) =>
        new(v.Variant, v.Replaced, v.Throttler, v.Denoiser, v.LogitScale, keep, [], null, null, new AlphaStats(double.NaN, double.NaN), double.NaN, double.NaN);

    PrunerTrainingOptions TrainingOptions(int keep, ThrottlerKind throttler, DenoiserAttention denoiser, LogitScale logitScale) => new()
    {
        Seed = Options.Seed,
        Keep = keep,
        Steps = Options.TrainSteps,
        BatchSize = Options.BatchSize,
        Optimizer = new PrunerTrainingOptions().Optimizer with { LearningRate = Options.LearningRate },
        Throttler = throttler,
        Denoiser = denoiser,
        LogitScale = logitScale,
        FeaturePool = Options.FeaturePool,
        ValidationScenes = Options.ValidationScenes,
        EvalEvery = Math.Max(1, Options.TrainSteps / 4),
    };

    DemoPhase Training((AblationRow Config, int Keep) target)
    {
        var (config, keep) = target;
        var options = TrainingOptions(keep, config.Throttler, config.Denoiser, config.LogitScale);
        var dir = Path.Combine(Dir, "train", $"{config.Throttler}-{config.Denoiser}-k{keep}".ToLowerInvariant());
        var run = PrunerTrainingRun.Start(_vlm, _tokenizer, _scenes, options, dir, pool: _pool, world: _world);
        _runs.Add((config, run));
        return new DemoPhase($"train {config.Variant}, K = {keep}", options.Steps, () => run.Trainer.Step, () =>
        {
            var (step, validation) = run.Next();
            if (run.Done) run.WriteReport();
            return validation != null ? PrunerTrainingRun.Describe(validation) : PrunerTrainingRun.Describe(step);
        })
        { Done = () => run.Done };
    }

    /// <summary>The trained DiffPrune pruners; the first call (Table 1's, on every rank) sends rank 0's to the others.</summary>
    DiffPrunePruners DiffPrune() => _diffPrune ??= DiffPrunePruners.Of(_runs.Where(r => r.Config.Variant == AblationRow.Variants[0].Variant)
        .Select(r => (r.Run.BestPruner(), Path.GetFullPath(r.Run.PrunerDir))).ToArray());

    DemoPhase Evaluation()
    {
        var evaluation = new TableEvaluation(_inference, _tokenizer, _test, MethodSelection.All(DiffPrune()), Options.Budgets, ModelName, Options.Seed, world: _world);
        var rows = new List<EvaluationRow>();
        return DemoPhase.Over($"evaluate {evaluation.Plan.Count} rows on {_test.Count} test scenes", evaluation.Plan, planned =>
        {
            var row = evaluation.Evaluate(planned);
            rows.Add(row);
            if (rows.Count == evaluation.Plan.Count) Table = evaluation.Table(rows);
            return $"{row.Method} at K = {row.Keep}: mean score {row.Scores.Average(s => s.Value) * 100:F1} % ({row.Seconds:F1} s)";
        });
    }

    DemoPhase AblationEvaluation()
    {
        var evaluator = new SceneBenchEvaluator(_inference, _tokenizer, batchSize: 32, world: _world);
        var unpruned = Table!.Vanilla.Scores;
        // the resamples of Table 1 (same scenes, count and seed), so that both tables' intervals come from one bootstrap
        var bootstrap = new SceneBootstrap(_test.Count, SceneBootstrap.DefaultResamples, Options.Seed);
        var vanilla = bootstrap.Resample(SceneTallies.From(Table.Vanilla.Outcomes!));
        var runs = _runs.Where(r => r.Config.Keep == TightestKeep).ToArray();
        var rows = new List<AblationRow>();
        double[]? fullSamples = null;
        return DemoPhase.Over($"evaluate the {runs.Length} Table 5 variants at K = {TightestKeep}", runs, r =>
        {
            var result = evaluator.EvaluateScenes(_test, r.Run.BestPruner());
            if (!_world.IsRoot) return "";    // the others helped score; rank 0 alone has the runs' logs and writes the table
            var scores = result.Scores;
            var resampled = bootstrap.Resample(SceneTallies.From(result.Scenes));
            var samples = resampled.Retention(vanilla);
            fullSamples ??= samples;
            var last = r.Run.Validations[^1];
            var paper = AblationRow.PaperSuites;
            var retention = EvaluationTable.Retention(scores, unpruned);
            rows.Add(r.Config with
            {
                Scores = scores,
                Retention = retention,
                PaperRetention = EvaluationTable.Retention(scores.Where(s => paper.Contains(s.Suite)).ToArray(), unpruned.Where(s => paper.Contains(s.Suite)).ToArray()),
                Alpha = last.Alpha,
                SoftLoss = last.SoftLoss,
                HardLoss = last.HardLoss,
                RetentionInterval = ConfidenceInterval.Percentile(samples),
                PaperRetentionInterval = ConfidenceInterval.Percentile(resampled.Retention(vanilla, paper.ToArray())),
                Difference = retention is double ret && rows.Count > 0 && rows[0].Retention is double full
                    ? PairedDifference.Of(rows[0].Variant, ret - full, samples, fullSamples)
                    : retention is double self ? PairedDifference.Of(r.Config.Variant, 0, samples, samples) : null,
            });
            Ablations = rows;
            return $"{r.Config.Variant}: retention {EvaluationReport.RetentionCell(rows[^1].Retention)} {IntervalText.Retention(rows[^1].RetentionInterval)}";
        });
    }

    DemoPhase Profiling()
    {
        double tightest = Options.Budgets.Min();
        var profile = EfficiencyProfile.ForModel(_vlm, _tokenizer, ModelName, MethodSelection.All(DiffPrune()), tightest, Options.ProfileRuns, Options.ProfileWarmup, Options.Seed, Options.Bench);
        return new DemoPhase("profile time to first token", profile.Steps, () => profile.StepsDone, () =>
        {
            var line = profile.Step();
            if (profile.Done) Profile = profile.Table();
            return line;
        })
        { Done = () => profile.Done };
    }

    string DrawFigure5()
    {
        var example = _test[0];
        var question = example.ItemsOf(SceneSuite.VqaV2).First().Prompt;
        var (pruner, label) = DiffPrune().At(TightestKeep)[0];
        Figure5 = PruneComparison.Run(_inference, _tokenizer, new ComparedMethod(label, _ => pruner), example.Scene.Image, question, runs: 3, warmup: 1);
        PruneComparison.Write(Path.Combine(Dir, "figure5"), Figure5);
        return $"Figure 5 on test scene {example.Scene.Seed}: \"{question}\"";
    }

    /// <summary>Writes report.md, report.json and the figures; returns the report's path.</summary>
    /// <exception cref="InvalidOperationException">Before every phase is done.</exception>
    public string WriteReport() => DemoReport.Write(this);
}
