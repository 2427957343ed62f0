using System.Diagnostics;

namespace DiffPrune.Eval.Profiling;

/// <summary>
/// Times many operations fairly on a noisy, shared machine: each round calls every registered operation once, in
/// registration order, so a burst of load from elsewhere hits all of them alike instead of whichever was being timed;
/// an operation's figure is the median of its timed rounds (batch-1 latency: one call per round).
/// </summary>
internal sealed class InterleavedTimer
{
    readonly List<(string Key, Action Op)> _ops = [];
    readonly Dictionary<string, List<double>> _times = [];

    /// <summary>Registers <paramref name="op"/> under <paramref name="key"/>; a key registered before keeps its first operation (shared work is timed once).</summary>
    public void Add(string key, Action op)
    {
        if (_times.ContainsKey(key)) return;
        _ops.Add((key, op));
        _times[key] = [];
    }

    /// <summary>Calls every operation once, recording the times when <paramref name="timed"/> (else a warm-up round).</summary>
    public void Round(bool timed)
    {
        foreach (var (key, op) in _ops)
        {
            long start = Stopwatch.GetTimestamp();
            op();
            if (timed) _times[key].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    }

    /// <summary>Median milliseconds of <paramref name="key"/> over the timed rounds.</summary>
    /// <exception cref="InvalidOperationException">An unknown key, or no timed round yet.</exception>
    public double MedianMs(string key)
    {
        if (!_times.TryGetValue(key, out var times) || times.Count == 0)
            throw new InvalidOperationException($"'{key}' has no timed rounds");
        var sorted = times.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
