using System.Diagnostics;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Blas;
using DiffPrune.Tensors.Optim;

namespace DiffPrune.Bench;

/// <summary>
/// 1,000 training steps of the benchmark block (forward, backward, AdamW, zero grad) while watching the process's
/// peak and current resident memory and the GC heap: a graph or buffer that outlives its step shows up as growth.
/// </summary>
internal static class MemoryBench
{
    static readonly int[] Checkpoints = [10, 100, 250, 500, 750, 1000];

    /// <summary>
    /// The block of <see cref="BlockBench"/> at batch 1 by default: a leak grows per step whatever the batch, and
    /// the exact (erfc-based) GELU makes a batch-8 step cost ~0.5 s, i.e. 1,000 steps would take minutes.
    /// </summary>
    public static void Run(int steps = 1000, int batch = 1)
    {
        Console.WriteLine($"== Memory over {steps} training steps (fwd, bwd, AdamW, zero grad) of the block at B={batch}, backend {Gemm.Backend} ==");
        Console.WriteLine($"{"step",6} {"VmHWM MB",9} {"VmRSS MB",9} {"GC heap MB",11} {"GC committed MB",16} {"GCs gen0/1/2",14} {"ms/step",8}");
        // Start from a clean slate when the earlier benchmarks ran in this process: collect their garbage and reset
        // the peak-RSS mark to the current RSS (writing 5 to clear_refs, Linux ≥ 4.0). Memory the GC keeps committed
        // from those benchmarks still counts, hence the "start" row.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        bool peakReset = ResetPeakRss();
        if (!peakReset) Console.WriteLine("  (could not reset the peak RSS: VmHWM includes whatever ran before in this process)");
        var setup = new BlockSetup(batch);
        PrintRow("start", double.NaN);
        var opt = new AdamW(setup.Block.TrainableParameters(), lr: 1e-4f);
        var sw = Stopwatch.StartNew();
        int last = 0;
        var peaks = new List<(int Step, double Peak)>();
        double liveAt100 = double.NaN;
        for (int step = 1; step <= steps; step++)
        {
            using (TensorScope.Begin())
            {
                setup.ForwardBackward();
                opt.StepOnce();
                opt.ZeroGrad();
            }
            if (Array.IndexOf(Checkpoints, step) < 0 && step != steps) continue;
            double ms = sw.Elapsed.TotalMilliseconds / (step - last);
            last = step;
            peaks.Add((step, PrintRow(step.ToString(System.Globalization.CultureInfo.InvariantCulture), ms)));
            // Live objects (after a full collection) at step 100 and at the end: a leaked graph would show up here.
            if (step == 100) liveAt100 = GC.GetTotalMemory(forceFullCollection: true) / 1048576.0;
            sw.Restart();
        }
        // Judge from step 100 on: the first steps grow the heap, the thread pool and the JIT'd code once.
        // Current RSS swings with the GC's generation budgets; a leak shows as a rising peak and a rising live heap.
        var baseline = peaks.FirstOrDefault(r => r.Step >= 100);
        if (baseline.Step > 0 && peaks[^1].Step > baseline.Step)
        {
            double growth = peaks[^1].Peak - baseline.Peak;
            Console.WriteLine($"  peak RSS step {baseline.Step} → {peaks[^1].Step}: {baseline.Peak:F1} → {peaks[^1].Peak:F1} MB, {growth:+0.0;-0.0} MB " +
                              $"({(growth <= 0.1 * baseline.Peak ? "flat" : "GROWING")}: up to +10% counts as flat)");
        }
        if (!double.IsNaN(liveAt100))
            Console.WriteLine($"  live managed heap after a full GC: step 100 {liveAt100:F1} MB → step {steps} {GC.GetTotalMemory(true) / 1048576.0:F1} MB");
        Console.WriteLine();
    }

    /// <summary>Prints one row of the table and returns the peak RSS (VmHWM) in MB.</summary>
    static double PrintRow(string step, double msPerStep)
    {
        var (hwm, cur) = ReadProcStatus();
        var info = GC.GetGCMemoryInfo();
        string gens = $"{GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}";
        // GC heap: bytes in the managed heap now, garbage not yet collected included; committed: memory the GC holds.
        Console.WriteLine($"{step,6} {hwm,9:F1} {cur,9:F1} {GC.GetTotalMemory(false) / 1048576.0,11:F1} " +
                          $"{info.TotalCommittedBytes / 1048576.0,16:F1} {gens,14} {(double.IsNaN(msPerStep) ? "" : msPerStep.ToString("F1")),8}");
        return hwm;
    }

    static bool ResetPeakRss()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Peak (VmHWM) and current (VmRSS) resident set in MB from /proc/self/status; NaN where unavailable.</summary>
    static (double PeakMb, double RssMb) ReadProcStatus()
    {
        double peak = double.NaN, rss = double.NaN;
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return (peak, rss);
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = ParseKb(line) / 1024;
            else if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = ParseKb(line) / 1024;
        }
        return (peak, rss);

        static double ParseKb(string line) =>
            double.Parse(line.Split(':')[1].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }
}
