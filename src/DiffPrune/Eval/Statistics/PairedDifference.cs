namespace DiffPrune.Eval.Statistics;

/// <summary>
/// A method's average retention minus a reference's on the same test scenes, with the interval of the difference
/// when both are resampled together (the same scenes, hence the same questions, in every resample).
/// </summary>
/// <param name="Reference">The reference's row label ("DiffPrune (trained K = 16)").</param>
/// <param name="Value">Point difference (fraction, 0.01 = one point of retention).</param>
/// <param name="Interval">Its bootstrap interval.</param>
public sealed record PairedDifference(string Reference, double Value, ConfidenceInterval Interval)
{
    /// <summary>Tie when the interval holds 0, else which side of the reference the method lies.</summary>
    public ComparisonVerdict Verdict => Interval.Contains(0) ? ComparisonVerdict.Tie : Interval.Lo > 0 ? ComparisonVerdict.Higher : ComparisonVerdict.Lower;

    /// <summary>
    /// The difference <paramref name="value"/> with the percentile interval of <paramref name="method"/> −
    /// <paramref name="reference"/>, resample by resample (both from one <see cref="SceneBootstrap"/>); null when no
    /// resample defines both.
    /// </summary>
    /// <exception cref="ArgumentException">Sample arrays of different lengths.</exception>
    public static PairedDifference? Of(string referenceLabel, double value, IReadOnlyList<double> method, IReadOnlyList<double> reference, double level = ConfidenceInterval.DefaultLevel)
    {
        if (method.Count != reference.Count) throw new ArgumentException($"{method.Count} resampled values against {reference.Count}: pair the same resamples", nameof(reference));
        var interval = ConfidenceInterval.Percentile(Enumerable.Range(0, method.Count).Select(r => method[r] - reference[r]), level);
        return interval is { } i ? new PairedDifference(referenceLabel, value, i) : null;
    }
}
