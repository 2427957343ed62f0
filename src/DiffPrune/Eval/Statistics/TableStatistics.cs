using System.Diagnostics;

namespace DiffPrune.Eval.Statistics;

/// <summary>
/// Adds to an <see cref="EvaluationTable"/> the 95 % bootstrap interval of every average retention and every row's
/// paired difference to its budget's reference (DiffPrune when evaluated, else the best row by point retention), and
/// the cost-matched comparisons of <see cref="CostMatchedDifference"/> when the rows carry their prefill FLOPs.
/// All rows are scored on the same resamples of the test scenes, Vanilla included, so each retention's interval
/// carries the uncertainty of its denominator and each difference is paired. Point values are left as they are.
/// </summary>
public static class TableStatistics
{
    /// <summary>
    /// The table with intervals, or <paramref name="table"/> itself when a row kept no per-scene answers
    /// (<see cref="EvaluationRow.Outcomes"/>).
    /// </summary>
    /// <exception cref="ArgumentException">Rows whose answers cover different numbers of scenes.</exception>
    public static EvaluationTable Apply(EvaluationTable table, int resamples = SceneBootstrap.DefaultResamples, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (table.Vanilla.Outcomes is not { } vanillaOutcomes || table.Blocks.SelectMany(b => b.Rows).Any(r => r.Outcomes == null)) return table;
        var clock = Stopwatch.StartNew();
        var bootstrap = new SceneBootstrap(vanillaOutcomes.Count, resamples, seed);
        var vanilla = bootstrap.Resample(SceneTallies.From(vanillaOutcomes));
        bool diffPrune = table.Blocks.SelectMany(b => b.Rows).Any(IsDiffPrune);
        var samples = new Dictionary<EvaluationRow, double[]>(ReferenceEqualityComparer.Instance);
        var blocks = table.Blocks.Select(b => b with { Rows = WithIntervals(b.Rows, bootstrap, vanilla, diffPrune, samples) }).ToArray();
        var upper = table.Vanilla with { RetentionInterval = ConfidenceInterval.Percentile(vanilla.Retention(vanilla)) };
        var summary = new BootstrapSummary(resamples, seed, ConfidenceInterval.DefaultLevel, diffPrune ? PairingRule.DiffPrune : PairingRule.BestAtBudget, clock.Elapsed.TotalSeconds);
        return table with { Vanilla = upper, Blocks = blocks, Statistics = summary, CostMatched = diffPrune && table.Vanilla.PrefillFlops != null ? CostMatchedDifference.Find(blocks, samples) : [] };
    }

    /// <summary>True for a row of a trained DiffPrune pruner ("DiffPrune", "DiffPrune (trained K = 16)").</summary>
    public static bool IsDiffPrune(EvaluationRow row) => IsDiffPrune(row.Method);

    /// <summary>True for the label of a trained DiffPrune pruner's row ("DiffPrune", "DiffPrune (gumbel)", "DiffPrune + denoiser (full)").</summary>
    public static bool IsDiffPrune(string label) =>
        label == MethodSelection.DiffPruneName || label.StartsWith(MethodSelection.DiffPruneName + " (", StringComparison.Ordinal)
        || label.StartsWith(MethodSelection.DiffPruneName + " + ", StringComparison.Ordinal);

    // the rows with intervals and differences; each new row's resampled retentions are added to allSamples
    static EvaluationRow[] WithIntervals(IReadOnlyList<EvaluationRow> rows, SceneBootstrap bootstrap, ResampledScores vanilla, bool diffPrune,
        Dictionary<EvaluationRow, double[]> allSamples)
    {
        var samples = rows.Select(r => bootstrap.Resample(SceneTallies.From(r.Outcomes!)).Retention(vanilla)).ToArray();
        int reference = Reference(rows, diffPrune);
        var referenceRow = reference >= 0 ? rows[reference] : null;
        var result = rows.Select((r, i) => r with
        {
            RetentionInterval = ConfidenceInterval.Percentile(samples[i]),
            Difference = referenceRow?.Retention is double refRetention && r.Retention is double retention
                ? PairedDifference.Of(referenceRow.Method, retention - refRetention, samples[i], samples[reference])
                : null,
        }).ToArray();
        for (int i = 0; i < result.Length; i++) allSamples[result[i]] = samples[i];
        return result;
    }

    // the DiffPrune row, else the highest point retention (the first of equals); −1 when no row has a retention
    static int Reference(IReadOnlyList<EvaluationRow> rows, bool diffPrune)
    {
        if (diffPrune)
            for (int i = 0; i < rows.Count; i++)
                if (IsDiffPrune(rows[i])) return i;
        int best = -1;
        for (int i = 0; i < rows.Count; i++)
            if (rows[i].Retention is double r && (best < 0 || r > rows[best].Retention!.Value)) best = i;
        return best;
    }
}
