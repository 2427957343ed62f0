using DiffPrune.Tensors;
using DiffPrune.Tensors.Blas;

namespace DiffPrune.Bench;

/// <summary>
/// The pruner training step (<see cref="TrainStepSetup"/>) timed phase by phase, with the share of GEMM, the managed
/// memory allocated and the garbage collections per step: the profile that says where a step's time goes.
/// </summary>
internal static class TrainBench
{
    public static void Run(int rounds = 3, int steps = 3)
    {
        var model = TrainStepSetup.FindModel();
        if (model == null)
        {
            Console.WriteLine("== Pruner training step: skipped (models/scenebench-vlm not found above the working directory) ==");
            return;
        }
        var setup = new TrainStepSetup(model);
        Console.WriteLine($"== Pruner training step on {model}: batch {TrainStepSetup.Batch}, K {TrainStepSetup.Keep}, backend {Gemm.Backend}; " +
                          $"1 and 2 threads in {rounds} interleaved rounds of {steps} steps, medians ==");
        for (int i = 0; i < 2; i++) setup.Step();
        int[] threads = [1, 2];
        using var torch = TorchTwin.Start();
        var twin = threads.ToDictionary(t => t, _ => new List<double>());
        var phases = threads.ToDictionary(t => t, _ => new List<double[]>());
        var gemm = threads.ToDictionary(t => t, _ => new List<double>());
        long allocated = GC.GetTotalAllocatedBytes(precise: false);
        int gen0 = GC.CollectionCount(0), gen2 = GC.CollectionCount(2);
        var pause = GC.GetTotalPauseDuration();
        int budget = ThreadBudget.Threads;
        Gemm.Timed = true;
        try
        {
            for (int r = 0; r < rounds; r++)
                foreach (int t in threads)
                {
                    ThreadBudget.Use(t);
                    for (int s = 0; s < steps; s++)
                    {
                        Gemm.ResetElapsed();
                        phases[t].Add(setup.Step().Seconds);
                        gemm[t].Add(Gemm.Elapsed.TotalSeconds);
                    }
                    if (torch != null)
                    {
                        Gemm.Timed = false;
                        twin[t].Add(torch.TrainMs(t, steps));
                        Gemm.Timed = true;
                    }
                }
        }
        finally
        {
            Gemm.Timed = false;
            ThreadBudget.Use(budget);
        }
        int total = rounds * steps * threads.Length;
        double allocatedMb = (GC.GetTotalAllocatedBytes(precise: false) - allocated) / 1048576.0 / total;
        Console.WriteLine($"  {"phase (ms)",-24} {"1 thread",9} {"2 threads",10}");
        for (int p = 0; p < TrainStepSetup.Phases.Length; p++)
            Console.WriteLine($"  {TrainStepSetup.Phases[p],-24} {1e3 * Median(phases[1].Select(x => x[p])),9:F1} {1e3 * Median(phases[2].Select(x => x[p])),10:F1}");
        double one = Median(phases[1].Select(x => x.Sum())), two = Median(phases[2].Select(x => x.Sum()));
        Console.WriteLine($"  {"step",-24} {1e3 * one,9:F1} {1e3 * two,10:F1}   (2 threads {one / two:F2}× faster)");
        if (torch != null)
        {
            double p1 = Median(twin[1]), p2 = Median(twin[2]);
            Console.WriteLine($"  {"PyTorch twin step",-24} {p1,9:F1} {p2,10:F1}   (PyTorch/engine {p1 / (1e3 * one):F2}× on 1 thread, {p2 / (1e3 * two):F2}× on 2; " +
                              $"vs PyTorch's best {Math.Min(p1, p2) / (1e3 * Math.Min(one, two)):F2}×)");
        }
        Console.WriteLine($"  {"of which GEMM",-24} {1e3 * Median(gemm[1]),9:F1} {1e3 * Median(gemm[2]),10:F1}   (calling-thread time inside GEMM)");
        Console.WriteLine($"  per step: {allocatedMb:F0} MB allocated, {(GC.CollectionCount(0) - gen0) / (double)total:F2} GCs, " +
                          $"{(GC.CollectionCount(2) - gen2) / (double)total:F2} gen-2 GCs, {(GC.GetTotalPauseDuration() - pause).TotalMilliseconds / total:F1} ms GC pauses");
        ThreadBudget.Use(1);
        try { PrintOpProfile(setup); }
        finally { ThreadBudget.Use(budget); }
        Console.WriteLine();
    }

    /// <summary>One more step with every recorded op timed; prints the ops that take the most time.</summary>
    static void PrintOpProfile(TrainStepSetup setup)
    {
        OpProfile.Reset();
        OpProfile.Enabled = true;
        try { setup.Step(); }
        finally { OpProfile.Enabled = false; }
        var ops = OpProfile.Snapshot().OrderByDescending(kv => kv.Value.Seconds).ToArray();
        double sum = ops.Sum(kv => kv.Value.Seconds);
        Console.WriteLine($"  one step on 1 thread by op (ms, calls; forward = time since the previous recorded op): total {1e3 * sum:F0} ms");
        foreach (var (op, (seconds, count)) in ops.Take(24))
            Console.WriteLine($"    {op,-28} {1e3 * seconds,8:F1} {count,6}  {seconds / sum * 100,5:F1}%");
    }

    static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted[sorted.Length / 2];
    }
}
