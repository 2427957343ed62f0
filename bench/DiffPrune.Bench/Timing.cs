using System.Diagnostics;

namespace DiffPrune.Bench;

/// <summary>Wall-clock timing: warm-up, then the median of several timed runs (robust to a noisy shared machine).</summary>
internal static class Timing
{
    /// <summary>
    /// Median seconds per call of <paramref name="op"/>. Each of <paramref name="runs"/> runs repeats the call
    /// enough times to last about <paramref name="minRunSeconds"/>, so short calls are not lost in timer noise.
    /// </summary>
    public static double MedianSeconds(Action op, int runs = 7, double minRunSeconds = 0.02, int warmup = 3)
    {
        for (int i = 0; i < warmup; i++) op();
        var sw = Stopwatch.StartNew();
        op();
        double once = Math.Max(sw.Elapsed.TotalSeconds, 1e-7);
        int inner = Math.Max(1, (int)Math.Ceiling(minRunSeconds / once));
        var times = new double[runs];
        for (int r = 0; r < runs; r++)
        {
            sw.Restart();
            for (int i = 0; i < inner; i++) op();
            times[r] = sw.Elapsed.TotalSeconds / inner;
        }
        Array.Sort(times);
        return times[runs / 2];
    }

    /// <summary>The median of <paramref name="values"/> (the mean of the middle two for an even count; NaN for none).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
    }
}
