namespace DiffPrune.Pruning;

/// <summary>
/// Calibrates the threshold of <see cref="BudgetMode.Threshold"/>: the value t such that images keeping every token
/// whose score reaches t (at least their best one) keep a given K on average.
/// <para>
/// The scores are each image's standardised logits, z = (s − mean s)/std s over its N tokens (<see cref="Scores"/>), not
/// the raw logits: Soft Top-K is invariant to adding a constant to an image's logits (b moves with it), and with the
/// default <see cref="LogitScale.Standardized"/> to scaling them too, so training never fixes an image's raw logit level
/// and a raw threshold would compare levels nobody learnt. z keeps the ranking (so the top-K a threshold pruner is
/// compared with is unchanged) and leaves what training shaped: how far an image's best tokens stand out from the rest.
/// </para>
/// <para>
/// How: the B·N scores are pooled and walked from the highest down, counting what each image keeps (at least 1) as the
/// threshold passes each distinct value; this count is a step function of t, so the walk finds the exact step where the
/// total reaches K·B (a sort, O(BN log BN); bisection on t would only approximate the same step). The threshold lies
/// halfway between the last score kept and the first dropped, so that logits recomputed in another batch shape (last-bit
/// differences) keep the same tokens. Scores tied at the boundary are kept or dropped together; when that makes K·B
/// unreachable, the nearer reachable total is taken (the smaller one when both are as near), and <see cref="Fit"/>
/// returns the mean actually kept.
/// </para>
/// </summary>
public static class ThresholdCalibration
{
    // the same guard as LogitScale.Standardized: an image whose logits are all equal gets z = 0 everywhere
    const double Epsilon = 1e-6;

    /// <summary>One image's standardised logits z = (s − mean s)/√(var s + 1e-6), in double.</summary>
    public static double[] Scores(ReadOnlySpan<float> logits)
    {
        double mean = 0, square = 0;
        foreach (float v in logits) mean += v;
        mean /= Math.Max(logits.Length, 1);
        foreach (float v in logits) square += (v - mean) * (v - mean);
        double std = Math.Sqrt(square / Math.Max(logits.Length, 1) + Epsilon);
        var z = new double[logits.Length];
        for (int i = 0; i < z.Length; i++) z[i] = (logits[i] - mean) / std;
        return z;
    }

    /// <summary>Tokens an image with <paramref name="scores"/> keeps at <paramref name="threshold"/>: those that reach it, at least 1.</summary>
    public static int KeptCount(ReadOnlySpan<double> scores, double threshold)
    {
        int kept = 0;
        foreach (double s in scores) if (s >= threshold) kept++;
        return Math.Max(1, kept);
    }

    /// <summary>
    /// The threshold at which the images of <paramref name="scores"/> (one array per image) keep
    /// <paramref name="meanKeep"/> tokens on average (exactly, unless ties at the boundary forbid it), and what they keep.
    /// </summary>
    /// <exception cref="ArgumentException">No images, or an image without tokens.</exception>
    /// <exception cref="ArgumentOutOfRangeException">K outside 1..N.</exception>
    public static (CalibratedThreshold Threshold, KeptTokenStats Kept) Fit(IReadOnlyList<double[]> scores, int meanKeep)
    {
        if (scores.Count == 0) throw new ArgumentException("no calibration images: give at least one validation image", nameof(scores));
        int n = scores.Min(s => s.Length);
        if (n == 0) throw new ArgumentException("a calibration image has no tokens", nameof(scores));
        TokenBudget.Check(meanKeep, n, nameof(meanKeep));
        double threshold = Walk(scores, (long)meanKeep * scores.Count);
        var kept = KeptTokenStats.Of(scores.Select(s => KeptCount(s, threshold)));
        return (new CalibratedThreshold(threshold, meanKeep, scores.Count), kept);
    }

    static double Walk(IReadOnlyList<double[]> scores, long target)
    {
        var pooled = scores.SelectMany((s, image) => s.Select(v => (Value: v, Image: image))).OrderByDescending(p => p.Value).ToArray();
        var counts = new int[scores.Count];
        long before = scores.Count;                      // above every score each image still keeps its best token
        double above = double.PositiveInfinity;         // the lowest score kept so far
        for (int i = 0; i < pooled.Length;)
        {
            double v = pooled[i].Value;
            long after = before;
            for (; i < pooled.Length && pooled[i].Value == v; i++)
                if (++counts[pooled[i].Image] > 1) after++;
            if (after > target)
            {
                double below = i < pooled.Length ? pooled[i].Value : double.NegativeInfinity;
                return target - before <= after - target ? Between(v, above) : Between(below, v);
            }
            before = after;
            above = v;
        }
        return Between(double.NegativeInfinity, above);  // K = N: every token
    }

    /// <summary>A threshold t with lo &lt; t ≤ hi, halfway where both are finite.</summary>
    static double Between(double lo, double hi)
    {
        if (double.IsPositiveInfinity(hi)) return lo + 1;
        if (double.IsNegativeInfinity(lo)) return hi - 1;
        double mid = lo + (hi - lo) / 2;
        return mid > lo ? mid : hi;
    }
}
