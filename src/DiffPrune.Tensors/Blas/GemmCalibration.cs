using System.Diagnostics;

namespace DiffPrune.Tensors.Blas;

/// <summary>
/// Picks the GEMM backend by measured speed, not by presence: both run, single-threaded, the products this engine
/// issues most (a linear layer's forward, dx and dW at d = 128 over 1,024 rows; one attention head's q·kᵀ and p·v at 160
/// tokens × 64 channels), in interleaved rounds; the faster total of per-shape minima wins. Minima of interleaved rounds
/// are robust to a busy machine, and OpenBLAS keeps the choice unless the managed kernel is at least 5 % faster, so a
/// near tie does not flip from run to run. Takes a few tens of milliseconds, once per process.
/// </summary>
internal static unsafe class GemmCalibration
{
    const int Rounds = 5;
    const double ManagedMargin = 0.95;

    static readonly (bool TA, bool TB, int M, int N, int K)[] Shapes =
    [
        (false, true, 1024, 128, 128),   // y = x·Wᵀ
        (false, false, 1024, 128, 128),  // dx = dy·W
        (true, false, 128, 128, 1024),   // dW = dyᵀ·x
        (false, true, 160, 160, 64),     // scores = q·kᵀ
        (false, false, 160, 64, 160),    // out = p·v
    ];

    /// <summary>The outcome, for <c>diffprune info</c>: each backend's GFLOP/s on the calibration products.</summary>
    public static string? Summary { get; private set; }

    /// <summary>The faster backend (OpenBLAS must be available).</summary>
    public static GemmBackend Choose()
    {
        var a = new float[1024 * 128];
        var b = new float[1024 * 128];
        var c = new float[1024 * 160];
        var gen = new Generator(12345);
        gen.FillNormal(a);
        gen.FillNormal(b);
        var openBlas = new double[Shapes.Length];
        var managed = new double[Shapes.Length];
        Array.Fill(openBlas, double.PositiveInfinity);
        Array.Fill(managed, double.PositiveInfinity);
        var kernel = GemmKernel.Best();
        for (int round = 0; round <= Rounds; round++)      // round 0 warms both up and is not counted
            for (int s = 0; s < Shapes.Length; s++)
            {
                var (ta, tb, m, n, k) = Shapes[s];
                int lda = ta ? m : k, ldb = tb ? k : n;
                double tOpen = Time(() => OpenBlas.Sgemm(ta, tb, m, n, k, 1f, a, lda, b, ldb, 0f, c, n, threads: 1));
                double tManaged = Time(() => ManagedGemm.Sgemm(ta, tb, m, n, k, 1f, a, lda, b, ldb, 0f, c, n, kernel, maxThreads: 1));
                if (round == 0) continue;
                openBlas[s] = Math.Min(openBlas[s], tOpen);
                managed[s] = Math.Min(managed[s], tManaged);
            }
        double flops = Shapes.Sum(x => 2.0 * x.M * x.N * x.K);
        double open = openBlas.Sum(), mine = managed.Sum();
        var choice = mine < ManagedMargin * open ? GemmBackend.Managed : GemmBackend.OpenBlas;
        Summary = $"chosen by speed: OpenBLAS {flops / open / 1e9:F0}, managed {kernel.Name} {flops / mine / 1e9:F0} GFLOP/s on 1 thread";
        return choice;
    }

    static double Time(Action gemm)
    {
        long start = Stopwatch.GetTimestamp();
        gemm();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
