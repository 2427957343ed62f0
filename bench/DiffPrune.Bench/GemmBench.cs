using DiffPrune.Tensors;
using DiffPrune.Tensors.Blas;

namespace DiffPrune.Bench;

/// <summary>
/// GFLOP/s of square products C = A·B (2·n³ flops) through three doors: the engine's <see cref="Tensor.Matmul"/>
/// (active backend, output allocation included), raw <c>cblas_sgemm</c>, and the managed kernel called directly.
/// </summary>
internal static class GemmBench
{
    static readonly int[] Sizes = [64, 128, 256, 512, 1024];

    public static void Run()
    {
        Console.WriteLine("== GEMM: C = A·B, square n×n, GFLOP/s (median) ==");
        Console.WriteLine($"{"n",6} {"engine Matmul",14} {"raw cblas",10} {"managed",9} {"engine/raw",11} {"managed/OpenBLAS",17}");
        var gen = new Generator(7);
        foreach (int n in Sizes)
        {
            var a = Tensor.Randn(gen, [n, n]);
            var b = Tensor.Randn(gen, [n, n]);
            var c = new float[n * n];
            double flops = 2.0 * n * n * n;
            double engine = flops / Timing.MedianSeconds(() => a.Matmul(b)) / 1e9;
            double raw = OpenBlas.IsAvailable
                ? flops / Timing.MedianSeconds(() => OpenBlas.Sgemm(false, false, n, n, n, 1f, a.Data, n, b.Data, n, 0f, c, n, ThreadBudget.Threads)) / 1e9
                : double.NaN;
            double managed = flops / Timing.MedianSeconds(() => ManagedGemm.Sgemm(false, false, n, n, n, 1f, a.Data, n, b.Data, n, 0f, c, n)) / 1e9;
            double engineBase = Gemm.Backend == GemmBackend.OpenBlas ? raw : managed;
            Console.WriteLine($"{n,6} {engine,14:F1} {Fmt(raw),10} {managed,9:F1} {Pct(engine / engineBase),11} {Pct(managed / raw),17}");
        }
        Console.WriteLine($"  engine/raw compares Tensor.Matmul with the raw kernel of the active backend ({Gemm.Backend}).");
        Console.WriteLine();
        EngineOverhead(512);
    }

    /// <summary>
    /// Where the engine's time goes at n×n: Tensor.Matmul and F.Linear against the raw GEMM they call. The calls are
    /// interleaved (one of each per round) so that a noisy neighbour slows them all alike, and each is timed singly,
    /// with the page faults and GC pause it caused. "GEMM into a fresh float[]" separates the cost of a new output
    /// buffer from the cost of the Tensor API itself.
    /// </summary>
    static void EngineOverhead(int n)
    {
        var gen = new Generator(8);
        var x = Tensor.Randn(gen, [n, n]);
        var w = Tensor.Randn(gen, [n, n]);
        var bias = Tensor.Randn(gen, [n]);
        var c = new float[n * n];
        (string Name, int Raw, Action Op)[] ops =
        [
            ("Gemm.Sgemm NN into a reused C", -1, () => Gemm.Sgemm(false, false, n, n, n, 1f, x.Data, n, w.Data, n, 0f, c, n)),
            ("Gemm.Sgemm NT into a reused C", -1, () => Gemm.Sgemm(false, true, n, n, n, 1f, x.Data, n, w.Data, n, 0f, c, n)),
            ("Gemm.Sgemm NN into a fresh float[]", 0, () => Gemm.Sgemm(false, false, n, n, n, 1f, x.Data, n, w.Data, n, 0f, new float[n * n], n)),
            ("Tensor.Matmul (NN)", 0, () => x.Matmul(w)),
            ("F.Linear, no bias (NT)", 1, () => F.Linear(x, w)),
            ("F.Linear, bias (NT)", 1, () => F.Linear(x, w, bias)),
        ];
        const int rounds = 120, warmup = 10;
        var times = new double[ops.Length][];
        var faults = new long[ops.Length];
        var pause = new double[ops.Length];
        for (int o = 0; o < ops.Length; o++) times[o] = new double[rounds];
        var sw = new System.Diagnostics.Stopwatch();
        for (int r = -warmup; r < rounds; r++)
            for (int o = 0; o < ops.Length; o++)
            {
                long f0 = MinorFaults();
                var p0 = GC.GetTotalPauseDuration();
                sw.Restart();
                ops[o].Op();
                double t = sw.Elapsed.TotalSeconds;
                if (r < 0) continue;
                times[o][r] = t;
                faults[o] += MinorFaults() - f0;
                pause[o] += (GC.GetTotalPauseDuration() - p0).TotalSeconds;
            }
        var median = times.Select(t => t.Order().ElementAt(t.Length / 2)).ToArray();
        Console.WriteLine($"== Engine overhead at {n}×{n}×{n}, backend {Gemm.Backend}: {rounds} interleaved rounds, one call of each per round ==");
        Console.WriteLine($"  {"call",-36} {"median ms",10} {"mean ms",8} {"vs raw",7} {"faults/call",12} {"GC pause ms/call",17}");
        for (int o = 0; o < ops.Length; o++)
        {
            string vsRaw = ops[o].Raw < 0 ? "" : Pct(median[ops[o].Raw] / median[o]);
            Console.WriteLine($"  {ops[o].Name,-36} {median[o] * 1e3,10:F3} {times[o].Average() * 1e3,8:F3} {vsRaw,7} " +
                              $"{faults[o] / (double)rounds,12:F0} {pause[o] * 1e3 / rounds,17:F3}");
        }
        Console.WriteLine($"  vs raw = median of the raw GEMM with the same transposes into a reused C / median of the call.");
        Console.WriteLine($"  A fresh {n * n * 4 / 1024} KB output is {n * n * 4 / 4096} pages that the OS maps on first write (page faults).");
        Console.WriteLine();
    }

    /// <summary>Minor page faults of this process so far (field 10 of /proc/self/stat); 0 where unavailable.</summary>
    static long MinorFaults()
    {
        const string path = "/proc/self/stat";
        if (!File.Exists(path)) return 0;
        var fields = File.ReadAllText(path).Split(')')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(fields[7], System.Globalization.CultureInfo.InvariantCulture); // fields[0] is field 3 (state)
    }

    static string Fmt(double v) => double.IsNaN(v) ? "n/a" : v.ToString("F1");
    static string Pct(double r) => double.IsNaN(r) ? "n/a" : $"{r * 100:F0}%";
}
