using System.Diagnostics;

namespace DiffPrune.Bench;

/// <summary>What a piece of work cost this process: wall seconds, managed bytes allocated (all threads), gen-2
/// collections, and kernel CPU time over user CPU time (page faults and thread wake-ups show up in the kernel's share).</summary>
internal readonly record struct ProcessUsage(double Seconds, double AllocatedMb, int Gen2, double KernelShare)
{
    /// <summary>Runs <paramref name="work"/> and measures it.</summary>
    public static ProcessUsage Of(Action work)
    {
        var start = Snapshot.Take();
        work();
        return start.Since();
    }

    /// <summary>The counters at one moment; <see cref="Since"/> gives the usage from then to now.</summary>
    public readonly record struct Snapshot(long Timestamp, TimeSpan User, TimeSpan Kernel, long Allocated, int Gen2)
    {
        public static Snapshot Take()
        {
            using var process = Process.GetCurrentProcess();
            return new Snapshot(Stopwatch.GetTimestamp(), process.UserProcessorTime, process.PrivilegedProcessorTime,
                GC.GetTotalAllocatedBytes(precise: false), GC.CollectionCount(2));
        }

        public ProcessUsage Since()
        {
            var now = Take();
            return new ProcessUsage(Stopwatch.GetElapsedTime(Timestamp, now.Timestamp).TotalSeconds, (now.Allocated - Allocated) / 1048576.0,
                now.Gen2 - Gen2, (now.Kernel - Kernel).TotalSeconds / (now.User - User).TotalSeconds);
        }
    }
}
