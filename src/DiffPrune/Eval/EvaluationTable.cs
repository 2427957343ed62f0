using DiffPrune.Data.Scenes;
using DiffPrune.Eval.Statistics;
using DiffPrune.Pruning;

namespace DiffPrune.Eval;

/// <summary>One method at one budget: its score on every suite and its average retention against Vanilla.</summary>
/// <param name="Method">Row label.</param>
/// <param name="Location">"Pre", "L2–L32", "–".</param>
/// <param name="Keep">K (N for Vanilla).</param>
/// <param name="Scores">Per suite, in <see cref="SceneSuites.All"/> order.</param>
/// <param name="Retention">Average retention (1 = nothing lost) over the suites Vanilla scores above 0; null when it scores 0 on all.</param>
/// <param name="Seconds">Wall time of answering and scoring.</param>
public sealed record EvaluationRow(string Method, string Location, int Keep, IReadOnlyList<SuiteScore> Scores, double? Retention, double Seconds)
{
    /// <summary>Every test scene's answers, kept so that the scenes can be resampled; null when not kept.</summary>
    public IReadOnlyList<SceneOutcome>? Outcomes { get; init; }

    /// <summary>The bootstrap interval of <see cref="Retention"/> (Vanilla rescored on each resample too); null before <see cref="TableStatistics"/>.</summary>
    public ConfidenceInterval? RetentionInterval { get; init; }

    /// <summary>This row's retention minus the budget's reference row's, paired over resamples; null before <see cref="TableStatistics"/>.</summary>
    public PairedDifference? Difference { get; init; }

    /// <summary>How many tokens the test images kept (each image once), for a method that prunes before the LLM; else null.</summary>
    public KeptTokenStats? Kept { get; init; }

    /// <summary>The threshold of a threshold-mode DiffPrune row (<see cref="Keep"/> is then the mean K it was calibrated to); else null.</summary>
    public CalibratedThreshold? Threshold { get; init; }

    /// <summary>
    /// LLM prefill FLOPs (projector and decoder layers, <see cref="Profiling.FlopCount.Prefill"/>) of one test prompt
    /// under this row's method: what its pruning saves, in-LLM stages included; null when not measured.
    /// </summary>
    public double? PrefillFlops { get; init; }

    /// <summary>True for the row the others at its budget are compared with.</summary>
    public bool IsReference => Difference?.Reference == Method;
}

/// <summary>The rows of one budget, "Retain K tokens (x % pruning)".</summary>
/// <param name="Fraction">K / N as given.</param>
/// <param name="Keep">K.</param>
/// <param name="Rows">The methods, in selection order.</param>
public sealed record EvaluationBlock(double Fraction, int Keep, IReadOnlyList<EvaluationRow> Rows);

/// <summary>
/// Paper Table 1 on SceneBench: the unpruned upper bound, then one block per budget; every score is the suite's own
/// score and Avg. the average retention, the mean over suites of pruned / unpruned score. A suite Vanilla scores 0
/// on has no retention and is left out of every average (<see cref="ExcludedSuites"/>), as the paper averages over
/// the benchmarks a method has.
/// </summary>
/// <param name="Model">The evaluated model's name (its folder).</param>
/// <param name="VisualTokens">N.</param>
/// <param name="Scenes">Test scenes.</param>
/// <param name="Items">Questions answered per method.</param>
/// <param name="Vanilla">The upper bound.</param>
/// <param name="Blocks">One per budget, in the order given.</param>
public sealed record EvaluationTable(string Model, int VisualTokens, int Scenes, int Items, EvaluationRow Vanilla, IReadOnlyList<EvaluationBlock> Blocks)
{
    /// <summary>The SceneBench configuration of the test scenes ("classic" or "dense", <see cref="SceneBenchConfiguration"/>).</summary>
    public string Bench { get; init; } = SceneBenchConfiguration.Classic.Name();

    /// <summary>True when the model tiles images LLaVA-NeXT's way (AnyRes): the table is then the paper's Table 2 setting.</summary>
    public bool Tiled { get; init; }

    /// <summary>True when the model reads images at their own size (Qwen2.5-VL's native resolution): budgets are rates, the
    /// paper's Table 3 setting.</summary>
    public bool NativeResolution { get; init; }

    /// <summary>Methods asked for that the model cannot run, left out (<see cref="MethodSelection.RunnableOn"/>).</summary>
    public IReadOnlyList<string> LeftOut { get; init; } = [];

    /// <summary>The sentence that says why <see cref="LeftOut"/> were left out, or null.</summary>
    public string? LeftOutNote { get; init; }

    /// <summary>How the intervals and paired differences were computed; null when the table has none.</summary>
    public BootstrapSummary? Statistics { get; init; }

    /// <summary>Methods that match or beat the reference at their budget while spending more prefill compute, set against the best reference row that spends no more (<see cref="CostMatchedDifference"/>); empty without statistics or FLOPs.</summary>
    public IReadOnlyList<CostMatchedDifference> CostMatched { get; init; } = [];

    /// <summary>Suites left out of Avg. because Vanilla scores 0 on them.</summary>
    public IReadOnlyList<SceneSuite> ExcludedSuites => Vanilla.Scores.Where(s => !(s.Value > 0)).Select(s => s.Suite).ToArray();

    /// <summary>
    /// Average retention of <paramref name="pruned"/> against <paramref name="unpruned"/> over the suites the unpruned
    /// model scores above 0 (<see cref="SceneBench.AverageRetention(IReadOnlyDictionary{SceneSuite, double}, IReadOnlyDictionary{SceneSuite, double})"/>); null when there are none.
    /// </summary>
    public static double? Retention(IReadOnlyList<SuiteScore> pruned, IReadOnlyList<SuiteScore> unpruned)
    {
        var reference = unpruned.Where(s => s.Value > 0).ToDictionary(s => s.Suite, s => s.Value);
        return reference.Count == 0 ? null : SceneBench.AverageRetention(pruned.ToDictionary(s => s.Suite, s => s.Value), reference);
    }
}
