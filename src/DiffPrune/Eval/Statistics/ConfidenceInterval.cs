namespace DiffPrune.Eval.Statistics;

/// <summary>A two-sided interval [<see cref="Lo"/>, <see cref="Hi"/>] for a statistic, from the percentiles of its bootstrap distribution.</summary>
/// <param name="Lo">Lower end.</param>
/// <param name="Hi">Upper end.</param>
public readonly record struct ConfidenceInterval(double Lo, double Hi)
{
    /// <summary>The level of every interval the reports print.</summary>
    public const double DefaultLevel = 0.95;

    /// <summary>True when <paramref name="value"/> lies in the closed interval.</summary>
    public bool Contains(double value) => Lo <= value && value <= Hi;

    /// <summary>Hi − Lo.</summary>
    public double Width => Hi - Lo;

    /// <summary>
    /// The percentile interval of <paramref name="samples"/> at <paramref name="level"/>: the (1 − level)/2 and
    /// (1 + level)/2 quantiles of the finite samples, each by linear interpolation between order statistics
    /// (x₍ₕ₎ with h = (n − 1)·p, R's and NumPy's default). Null when no sample is finite.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A level outside (0, 1).</exception>
    public static ConfidenceInterval? Percentile(IEnumerable<double> samples, double level = DefaultLevel)
    {
        if (!(level > 0 && level < 1)) throw new ArgumentOutOfRangeException(nameof(level), $"confidence level {level} is outside (0, 1)");
        var sorted = samples.Where(double.IsFinite).Order().ToArray();
        if (sorted.Length == 0) return null;
        return new(Quantile(sorted, (1 - level) / 2), Quantile(sorted, (1 + level) / 2));
    }

    static double Quantile(double[] sorted, double p)
    {
        double h = (sorted.Length - 1) * p;
        int below = (int)Math.Floor(h);
        if (below + 1 >= sorted.Length) return sorted[^1];
        return sorted[below] + (h - below) * (sorted[below + 1] - sorted[below]);
    }
}
