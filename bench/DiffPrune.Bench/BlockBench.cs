using DiffPrune.Tensors;
using DiffPrune.Tensors.Blas;

namespace DiffPrune.Bench;

/// <summary>
/// Forward and forward+backward time of the benchmark block on each available GEMM backend, next to the time of
/// the same step's GEMM calls replayed alone, so the table shows how much of a step is GEMM and how much is the
/// rest of the engine.
/// </summary>
internal static class BlockBench
{
    public static void Run()
    {
        var setup = new BlockSetup();
        Console.WriteLine($"== TransformerBlock d={BlockSetup.Dim}, heads={BlockSetup.Heads}, MLP {BlockSetup.Hidden} GELU, " +
                          $"B={setup.Batch}, T={BlockSetup.Tokens}; loss = mean(output); ms (median of 7) ==");
        Console.WriteLine($"{"backend",-10} {"forward",9} {"fwd+bwd",9} {"its GEMMs alone",16} {"GEMM share",11} {"GEMM GFLOP/s",13}");
        var original = Gemm.Backend;
        var replay = new GemmReplay(setup.Batch);
        try
        {
            foreach (var backend in new[] { GemmBackend.OpenBlas, GemmBackend.Managed })
            {
                if (backend == GemmBackend.OpenBlas && !GemmInfo.OpenBlasAvailable)
                {
                    Console.WriteLine($"{backend,-10} not available");
                    continue;
                }
                Gemm.Use(backend);
                double fwd = Timing.MedianSeconds(setup.Forward, runs: 7, minRunSeconds: 0, warmup: 2);
                double step = Timing.MedianSeconds(() =>
                {
                    setup.ForwardBackward();
                    setup.Block.ZeroGrad();
                }, runs: 7, minRunSeconds: 0, warmup: 2);
                double gemm = Timing.MedianSeconds(replay.Run, runs: 7, minRunSeconds: 0, warmup: 2);
                Console.WriteLine($"{backend,-10} {fwd * 1e3,9:F1} {step * 1e3,9:F1} {gemm * 1e3,16:F1} {gemm / step * 100,10:F0}% {replay.Flops / gemm / 1e9,13:F1}");
            }
        }
        finally
        {
            Gemm.Use(original);
        }
        Console.WriteLine("  'its GEMMs alone' replays every GEMM call of one fwd+bwd step (same shapes and transposes) through Gemm.Sgemm.");
        Console.WriteLine();
        CompareWithTorch(setup);
    }

    /// <summary>
    /// fwd+bwd of the block against its PyTorch twin on 1 and 2 threads, in interleaved rounds (engine 1, torch 1,
    /// engine 2, torch 2, …) so that a busy machine slows both alike; medians over rounds.
    /// </summary>
    static void CompareWithTorch(BlockSetup setup, int rounds = 3, int runs = 5)
    {
        Console.WriteLine($"== Block fwd+bwd, this engine ({Gemm.Backend}) vs PyTorch (passive OpenMP wait; on 2 threads the faster of 1 or 2 intra-op threads, OpenBLAS on 2), ms, median of {rounds} interleaved rounds of {runs} runs ==");
        using var torch = TorchTwin.Start();
        int[] threads = [1, 2];
        var engine = threads.ToDictionary(t => t, _ => new List<double>());
        var twin = threads.ToDictionary(t => t, _ => new List<double>());
        int budget = ThreadBudget.Threads;
        try
        {
            for (int r = 0; r < rounds; r++)
                foreach (int t in threads)
                {
                    ThreadBudget.Use(t);
                    engine[t].Add(1e3 * Timing.MedianSeconds(() =>
                    {
                        setup.ForwardBackward();
                        setup.Block.ZeroGrad();
                    }, runs: runs, minRunSeconds: 0, warmup: 1));
                    if (torch != null) twin[t].Add(torch.BlockMs(t, runs));
                }
        }
        finally
        {
            ThreadBudget.Use(budget);
        }
        Console.WriteLine($"{"threads",8} {"engine",9} {"PyTorch",9} {"PyTorch/engine",15}");
        foreach (int t in threads)
        {
            double e = Timing.Median(engine[t]);
            double p = torch != null ? Timing.Median(twin[t]) : double.NaN;
            Console.WriteLine($"{t,8} {e,9:F1} {p,9:F1} {p / e,14:F2}×");
        }
        Console.WriteLine($"  engine 2 threads vs 1: {Timing.Median(engine[1]) / Timing.Median(engine[2]):F2}× faster");
        Console.WriteLine();
    }

    /// <summary>The GEMM calls of one forward+backward step of the block, as F.Linear and Tensor.Matmul issue them.</summary>
    sealed class GemmReplay
    {
        readonly List<(bool TA, bool TB, int M, int N, int K, int Count, float Beta)> _calls = [];
        readonly float[] _a, _b, _c;

        public double Flops { get; }

        public GemmReplay(int batch)
        {
            int rows = batch * BlockSetup.Tokens, d = BlockSetup.Dim, hid = BlockSetup.Hidden, t = BlockSetup.Tokens;
            int hd = d / BlockSetup.Heads, mats = batch * BlockSetup.Heads;
            // Forward products overwrite (beta 0), gradient products accumulate into .Grad (beta 1).
            // F.Linear y = x·Wᵀ: forward NT (rows, out, in); dx = dy·W NN (rows, in, out); dW = dyᵀ·x TN (out, in, rows).
            foreach (var (inF, outF, count) in new[] { (d, d, 4), (d, hid, 1), (hid, d, 1) })
            {
                _calls.Add((false, true, rows, outF, inF, count, 0f));
                _calls.Add((false, false, rows, inF, outF, count, 1f));
                _calls.Add((true, false, outF, inF, rows, count, 1f));
            }
            // Attention per (batch, head): scores = q·kᵀ NT (t, t, hd) with dq NN (t, hd, t), dk TN (t, hd, t);
            // out = p·v NN (t, hd, t) with dp NT (t, t, hd), dv TN (t, hd, t).
            _calls.Add((false, true, t, t, hd, mats, 0f));
            _calls.Add((false, false, t, hd, t, mats, 1f));
            _calls.Add((true, false, t, hd, t, mats, 1f));
            _calls.Add((false, false, t, hd, t, mats, 0f));
            _calls.Add((false, true, t, t, hd, mats, 1f));
            _calls.Add((true, false, t, hd, t, mats, 1f));
            int max = rows * hid;
            var gen = new DiffPrune.Tensors.Generator(3);
            _a = new float[max]; _b = new float[max]; _c = new float[max];
            gen.FillNormal(_a); gen.FillNormal(_b);
            Flops = _calls.Sum(c => 2.0 * c.M * c.N * c.K * c.Count);
        }

        public void Run()
        {
            foreach (var (ta, tb, m, n, k, count, beta) in _calls)
                for (int i = 0; i < count; i++)
                    Gemm.Sgemm(ta, tb, m, n, k, 1f, _a, ta ? m : k, _b, tb ? k : n, beta, _c, n);
        }
    }
}
