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
        var shapes = threads.ToDictionary(t => t, _ => new Dictionary<GemmShape, (long Calls, TimeSpan Time)>());
        long allocated = GC.GetTotalAllocatedBytes(precise: false);
        int gen0 = GC.CollectionCount(0), gen2 = GC.CollectionCount(2);
        var pause = GC.GetTotalPauseDuration();
        var usage = ProcessUsage.Snapshot.Take();
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
                        phases[t].Add(setup.Step(batch: r * steps + s).Seconds);   // each thread count on the same batches
                        gemm[t].Add(Gemm.Elapsed.TotalSeconds);
                        foreach (var (shape, v) in Gemm.TimedShapes)
                            shapes[t][shape] = shapes[t].TryGetValue(shape, out var sum) ? (sum.Calls + v.Calls, sum.Time + v.Time) : v;
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
            Console.WriteLine($"  {TrainStepSetup.Phases[p],-24} {1e3 * Timing.Median(phases[1].Select(x => x[p])),9:F1} {1e3 * Timing.Median(phases[2].Select(x => x[p])),10:F1}");
        double one = Timing.Median(phases[1].Select(x => x.Sum())), two = Timing.Median(phases[2].Select(x => x.Sum()));
        Console.WriteLine($"  {"step",-24} {1e3 * one,9:F1} {1e3 * two,10:F1}   (2 threads {one / two:F2}× faster)");
        if (torch != null)
        {
            double p1 = Timing.Median(twin[1]), p2 = Timing.Median(twin[2]);
            Console.WriteLine($"  {"PyTorch twin step",-24} {p1,9:F1} {p2,10:F1}   (PyTorch/engine {p1 / (1e3 * one):F2}× on 1 thread, {p2 / (1e3 * two):F2}× on 2; " +
                              $"vs PyTorch's best {Math.Min(p1, p2) / (1e3 * Math.Min(one, two)):F2}×)");
        }
        Console.WriteLine($"  {"of which GEMM",-24} {1e3 * Timing.Median(gemm[1]),9:F1} {1e3 * Timing.Median(gemm[2]),10:F1}   (calling-thread time inside GEMM)");
        PrintGemmShapes(shapes[1], shapes[2], rounds * steps);
        Console.WriteLine($"  per step: {allocatedMb:F0} MB allocated, {(GC.CollectionCount(0) - gen0) / (double)total:F2} GCs, " +
                          $"{(GC.CollectionCount(2) - gen2) / (double)total:F2} gen-2 GCs, {(GC.GetTotalPauseDuration() - pause).TotalMilliseconds / total:F1} ms GC pauses; " +
                          $"kernel time {100 * usage.Since().KernelShare:F1} % of user time");
        PrintSteadyState(setup, steps: 50);
        ThreadBudget.Use(1);
        try { PrintOpProfile(setup); }
        finally { ThreadBudget.Use(budget); }
        Console.WriteLine();
    }

    /// <summary>The products that take most of the GEMM time, per step on 1 and 2 threads with their GFLOP/s: where GEMM time goes and
    /// how each shape scales to the second core.</summary>
    static void PrintGemmShapes(Dictionary<GemmShape, (long Calls, TimeSpan Time)> one, Dictionary<GemmShape, (long Calls, TimeSpan Time)> two, int steps)
    {
        double total1 = one.Values.Sum(v => v.Time.TotalSeconds), total2 = two.Values.Sum(v => v.Time.TotalSeconds);
        Console.WriteLine($"  GEMM by shape (m×k·k×n, per step, the largest of {one.Count} by 1-thread time; time on the calling thread: a product split");
        Console.WriteLine("  across both threads counts its wall time once, products called from a parallel loop (attention per head) count on each thread)");
        Console.WriteLine($"    {"shape",-22} {"calls",6} {"ms 1 thr",9} {"GFLOP/s",8} {"ms 2 thr",9} {"GFLOP/s",8} {"2 thr ×",8}");
        foreach (var (shape, v) in one.OrderByDescending(kv => kv.Value.Time).Take(10))
        {
            var w = two.GetValueOrDefault(shape);
            double ms1 = 1e3 * v.Time.TotalSeconds / steps, ms2 = 1e3 * w.Time.TotalSeconds / steps;
            double flops = shape.Flops * v.Calls / steps;
            Console.WriteLine($"    {shape,-22} {v.Calls / (double)steps,6:F0} {ms1,9:F1} {flops / ms1 / 1e6,8:F0} {ms2,9:F1} {flops / ms2 / 1e6,8:F0} {ms1 / ms2,8:F2}");
        }
        Console.WriteLine($"    {"all shapes",-22} {one.Values.Sum(v => v.Calls) / (double)steps,6:F0} {1e3 * total1 / steps,9:F1} {"",8} {1e3 * total2 / steps,9:F1} {"",8} {total1 / total2,8:F2}");
    }

    /// <summary>
    /// <paramref name="steps"/> steps in a row on the full thread budget, as a training run takes them: what a step allocates and how
    /// often a full (gen-2) collection comes once the pools are warm, and the kernel's share of the CPU time.
    /// </summary>
    static void PrintSteadyState(TrainStepSetup setup, int steps)
    {
        var usage = ProcessUsage.Of(() =>
        {
            for (int s = 0; s < steps; s++) setup.Step();
        });
        Console.WriteLine($"  {steps} steps in a row on {ThreadBudget.Threads} threads: {usage.AllocatedMb / steps:F1} MB allocated per step, {usage.Gen2} gen-2 GCs, " +
                          $"kernel time {100 * usage.KernelShare:F1} % of user time, {1e3 * usage.Seconds / steps:F0} ms per step");
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
}
