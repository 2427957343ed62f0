using System.Globalization;

namespace DiffPrune.Probes;

/// <summary>
/// Mean and sample standard deviation of one measurement over the probe's seeds. Undefined values (a ratio whose
/// denominator was not positive: NaN) are left out and counted, so that "3 of 5 seeds" is visible next to the mean.
/// </summary>
/// <param name="Mean">Mean of the defined values (NaN when none is).</param>
/// <param name="Sd">Sample standard deviation (n − 1 in the denominator) of the defined values; NaN for fewer than two.</param>
/// <param name="Count">Defined values.</param>
/// <param name="Runs">Values in all, defined or not.</param>
public readonly record struct SeedStatistic(double Mean, double Sd, int Count, int Runs)
{
    /// <summary>The statistic of <paramref name="values"/>, one per seed.</summary>
    public static SeedStatistic Of(IEnumerable<double> values)
    {
        var all = values.ToArray();
        var defined = all.Where(double.IsFinite).ToArray();
        if (defined.Length == 0) return new(double.NaN, double.NaN, 0, all.Length);
        double mean = defined.Average();
        double sd = defined.Length == 1 ? double.NaN : Math.Sqrt(defined.Sum(v => (v - mean) * (v - mean)) / (defined.Length - 1));
        return new(mean, sd, defined.Length, all.Length);
    }

    /// <summary>
    /// "12.3 ± 4.5" in <paramref name="format"/> (the sd in its first section, unsigned), then <paramref name="unit"/>, then
    /// "(3 of 5 seeds defined)" when some were not; the mean alone when only one value was defined; "undefined" when none was.
    /// </summary>
    public string Format(string format, string unit = "")
    {
        if (Count == 0) return $"undefined in all {Runs} seeds";
        var inv = CultureInfo.InvariantCulture;
        string sdFormat = format.Split(';')[0].TrimStart('+');
        string text = Mean.ToString(format, inv) + (Count > 1 ? " ± " + Sd.ToString(sdFormat, inv) : "") + unit;
        return Count < Runs ? text + string.Create(inv, $" ({Count} of {Runs} seeds defined)") : text;
    }
}
