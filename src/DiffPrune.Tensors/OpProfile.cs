using System.Diagnostics;

namespace DiffPrune.Tensors;

/// <summary>
/// Wall time per recorded op, for the benchmarks' profiles. Forward time is charged to an op as the time since the
/// previous op was recorded on that thread (an op computes its output, then records it; work in between, such as an
/// op under no-grad or the caller's own code, is charged to the next recorded op); backward time is each backward closure's own.
/// Off unless <see cref="Enabled"/>; single-threaded callers only.
/// </summary>
internal static class OpProfile
{
    static readonly Dictionary<string, (double Seconds, int Count)> Totals = [];
    static long _last;

    /// <summary>Collects while true.</summary>
    public static bool Enabled { get; set; }

    /// <summary>The totals so far, by op ("linear fwd", "linear bwd", …).</summary>
    public static IReadOnlyDictionary<string, (double Seconds, int Count)> Snapshot() => new Dictionary<string, (double, int)>(Totals);

    /// <summary>Forgets the totals and restarts the forward clock.</summary>
    public static void Reset()
    {
        Totals.Clear();
        _last = Stopwatch.GetTimestamp();
    }

    /// <summary>Restarts the forward clock (call before a forward pass).</summary>
    public static void Mark() => _last = Stopwatch.GetTimestamp();

    /// <summary>Charges the time since the last mark to <paramref name="op"/>'s forward.</summary>
    public static void Forward(string op)
    {
        long now = Stopwatch.GetTimestamp();
        Add(op + " fwd", Stopwatch.GetElapsedTime(_last, now).TotalSeconds);
        _last = now;
    }

    /// <summary>Adds <paramref name="seconds"/> to <paramref name="key"/>.</summary>
    public static void Add(string key, double seconds)
    {
        Totals.TryGetValue(key, out var t);
        Totals[key] = (t.Seconds + seconds, t.Count + 1);
    }
}
