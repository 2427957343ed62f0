using DiffPrune.Training;
using DiffPrune.Data.Scenes;
using DiffPrune.Training.Pruner;

namespace DiffPrune.Eval.Demo;

/// <summary>
/// What <c>diffprune demo</c> runs: DiffPrune trained at the tightest budget (one scorer re-ranks at the others, or
/// one scorer per budget), its three ablations at that budget, every method × budget × suite, and the profile.
/// Sized so the default ends within 20 minutes on 2 cores; <see cref="Quick"/> within 2.
/// </summary>
public sealed record DemoOptions
{
    /// <summary>The pruner trainer's defaults, which the demo's runs share unless they say otherwise.</summary>
    static readonly PrunerTrainingOptions Train = new();

    /// <summary>Seed of every pruner's weights, data and noise, and of Random.</summary>
    public ulong Seed { get; init; }

    /// <summary>The SceneBench configuration trained and tested on (classic: the scenes the shipped base VLM was pretrained on).</summary>
    public SceneBenchConfiguration Bench { get; init; } = SceneBenchConfiguration.Classic;

    /// <summary>Kept shares of N (paper: 192/128/64 of 576).</summary>
    public IReadOnlyList<double> Budgets { get; init; } = BudgetFractions.Default;

    /// <summary>Steps of each pruner training run (DiffPrune and each ablation).</summary>
    public int TrainSteps { get; init; } = 80;

    /// <summary>Captions per training step.</summary>
    public int BatchSize { get; init; } = Train.BatchSize;

    /// <summary>Peak learning rate of the pruner runs.</summary>
    public double LearningRate { get; init; } = Train.Optimizer.LearningRate;

    /// <summary>Training scenes encoded once and shared by every run.</summary>
    public int FeaturePool { get; init; } = 1024;

    /// <summary>Validation captions per validation (early stopping and the soft-vs-hard gap).</summary>
    public int ValidationScenes { get; init; } = Train.ValidationScenes;

    /// <summary>Train one scorer per budget instead of one at the tightest budget that re-ranks at the others.</summary>
    public bool ScorerPerBudget { get; init; }

    /// <summary>Test scenes every method is scored on (≈ 26 questions each; 100 give intervals of about ±2 points on dense scenes).</summary>
    public int TestScenes { get; init; } = 100;

    /// <summary>Timed rounds of the profile (median), after <see cref="ProfileWarmup"/>.</summary>
    public int ProfileRuns { get; init; } = 30;

    /// <summary>Warm-up rounds of the profile.</summary>
    public int ProfileWarmup { get; init; } = 5;

    /// <summary>True for the reduced run (<see cref="QuickRun"/>).</summary>
    public bool Quick { get; init; }

    /// <summary>The reduced demo (CI runs it): a few steps, scenes and rounds, every table and figure still made.</summary>
    public static DemoOptions QuickRun { get; } = new()
    {
        Quick = true,
        TrainSteps = 4,
        BatchSize = 8,
        FeaturePool = 32,
        ValidationScenes = 4,
        TestScenes = 2,
        ProfileRuns = 3,
        ProfileWarmup = 1,
    };

    /// <summary>Checks the options and returns them.</summary>
    /// <exception cref="ArgumentException">Names the option at fault.</exception>
    public DemoOptions Validate()
    {
        var rules = new OptionRules("demo options");
        rules.Require(Budgets.Count > 0 && Budgets.All(b => b > 0 && b < 1), $"budgets must be kept shares of N in (0, 1) (got {string.Join(", ", Budgets)})");
        rules.Require(TrainSteps >= 1 && BatchSize >= 1 && FeaturePool >= 1 && ValidationScenes >= 1, $"TrainSteps = {TrainSteps}, BatchSize = {BatchSize}, FeaturePool = {FeaturePool}, ValidationScenes = {ValidationScenes} must be ≥ 1");
        rules.Require(LearningRate > 0, $"LearningRate = {LearningRate} must be > 0");
        rules.Require(TestScenes >= 1 && ProfileRuns >= 1 && ProfileWarmup >= 0, $"TestScenes = {TestScenes}, ProfileRuns = {ProfileRuns}, ProfileWarmup = {ProfileWarmup}");
        return this;
    }
}
