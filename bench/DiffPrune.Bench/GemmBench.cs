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
                ? flops / Timing.MedianSeconds(() => OpenBlas.Sgemm(false, false, n, n, n, 1f, a.Data, n, b.Data, n, 0f, c, n)) / 1e9
                : double.NaN;
            double managed = flops / Timing.MedianSeconds(() => ManagedGemm.Sgemm(false, false, n, n, n, 1f, a.Data, n, b.Data, n, 0f, c, n)) / 1e9;
            double engineBase = Gemm.Backend == GemmBackend.OpenBlas ? raw : managed;
            Console.WriteLine($"{n,6} {engine,14:F1} {Fmt(raw),10} {managed,9:F1} {Pct(engine / engineBase),11} {Pct(managed / raw),17}");
        }
        Console.WriteLine($"  engine/raw compares Tensor.Matmul with the raw kernel of the active backend ({Gemm.Backend}).");
        Console.WriteLine();
        EngineOverhead(512);
    }

    /// <summary>Where the engine's time goes at n×n: Tensor.Matmul and F.Linear against the raw GEMM they call.</summary>
    static void EngineOverhead(int n)
    {
        Console.WriteLine($"== Engine overhead at {n}×{n}×{n} vs the raw GEMM of the active backend ({Gemm.Backend}), ms (median) ==");
        var gen = new Generator(8);
        var x = Tensor.Randn(gen, [n, n]);
        var w = Tensor.Randn(gen, [n, n]);
        var bias = Tensor.Randn(gen, [n]);
        var c = new float[n * n];
        double raw = Timing.MedianSeconds(() => Gemm.Sgemm(false, false, n, n, n, 1f, x.Data, n, w.Data, n, 0f, c, n));
        double rawT = Timing.MedianSeconds(() => Gemm.Sgemm(false, true, n, n, n, 1f, x.Data, n, w.Data, n, 0f, c, n));
        double alloc = Timing.MedianSeconds(() => Tensor.Zeros(n, n));
        double matmul = Timing.MedianSeconds(() => x.Matmul(w));
        double linear = Timing.MedianSeconds(() => F.Linear(x, w));
        double linearBias = Timing.MedianSeconds(() => F.Linear(x, w, bias));
        Console.WriteLine($"  Gemm.Sgemm (NN, into a reused C)   {raw * 1e3,7:F3}");
        Console.WriteLine($"  Gemm.Sgemm (NT, into a reused C)   {rawT * 1e3,7:F3}");
        Console.WriteLine($"  Tensor.Zeros({n}, {n}) alone        {alloc * 1e3,7:F3}");
        Console.WriteLine($"  Tensor.Matmul                      {matmul * 1e3,7:F3}  = {Pct(raw / matmul)} of raw NN");
        Console.WriteLine($"  F.Linear (no bias)                 {linear * 1e3,7:F3}  = {Pct(rawT / linear)} of raw NT");
        Console.WriteLine($"  F.Linear (bias)                    {linearBias * 1e3,7:F3}  = {Pct(rawT / linearBias)} of raw NT");
        Console.WriteLine();
    }

    static string Fmt(double v) => double.IsNaN(v) ? "n/a" : v.ToString("F1");
    static string Pct(double r) => double.IsNaN(r) ? "n/a" : $"{r * 100:F0}%";
}
