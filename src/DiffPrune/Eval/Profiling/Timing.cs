using System.Diagnostics;

namespace DiffPrune.Eval.Profiling;

/// <summary>Wall-clock timing: warm-up, then the median of several timed runs (robust to a noisy shared machine).</summary>
public static class Timing
{
    /// <summary>
    /// Median seconds per call of <paramref name="op"/>. Each of <paramref name="runs"/> runs repeats the call
    /// enough times to last about <paramref name="minRunSeconds"/>, so short calls are not lost in timer noise.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than one run, or a negative warm-up.</exception>
    public static double MedianSeconds(Action op, int runs = 7, double minRunSeconds = 0.02, int warmup = 3)
    {
        Check(runs, warmup);
        for (int i = 0; i < warmup; i++) op();
        var sw = Stopwatch.StartNew();
        op();
        double once = Math.Max(sw.Elapsed.TotalSeconds, 1e-7);
        int inner = Math.Max(1, (int)Math.Ceiling(minRunSeconds / once));
        return Median(runs, () =>
        {
            sw.Restart();
            for (int i = 0; i < inner; i++) op();
            return sw.Elapsed.TotalSeconds / inner;
        });
    }

    /// <summary>
    /// Median milliseconds of one call of <paramref name="op"/> over <paramref name="runs"/> runs after
    /// <paramref name="warmup"/> untimed calls: a latency (batch 1, one call per run), as a profile reports it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than one run, or a negative warm-up.</exception>
    public static double MedianMilliseconds(Action op, int runs, int warmup)
    {
        Check(runs, warmup);
        for (int i = 0; i < warmup; i++) op();
        return Median(runs, () =>
        {
            long start = Stopwatch.GetTimestamp();
            op();
            return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        });
    }

    static double Median(int runs, Func<double> run)
    {
        var times = new double[runs];
        for (int r = 0; r < runs; r++) times[r] = run();
        Array.Sort(times);
        return times[runs / 2];
    }

    static void Check(int runs, int warmup)
    {
        if (runs < 1) throw new ArgumentOutOfRangeException(nameof(runs), $"timing needs at least 1 run (got {runs})");
        if (warmup < 0) throw new ArgumentOutOfRangeException(nameof(warmup), $"warm-up runs cannot be negative (got {warmup})");
    }
}
