using DiffPrune.Tensors.Blas;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Tensors.Tests;

/// <summary>
/// The engine's parallel loops split independent rows, segments and matrices only, and reductions across rows stay on
/// one thread in order, so results do not depend on the thread budget: with the managed GEMM a Transformer block's
/// forward and every gradient must be bit-identical on 1, 2 and 3 threads. OpenBLAS rounds a strip of C differently
/// from the whole product (its kernels' blocking depends on the sizes it is given), so there they agree to float rounding.
/// Runs alone (it changes the process-wide budget and backend).
/// </summary>
[Collection(GemmCountingCollection.Name)]
public class ThreadBudgetTests
{
    /// <summary>Output and every gradient of a block step, followed by RMSNorm, RoPE and log-softmax, all large enough
    /// to be split (above <see cref="RowParallel.MinWork"/> and the GEMM threshold).</summary>
    static List<float[]> Step()
    {
        var gen = new Generator(77);
        var block = new TransformerBlock(64, 2, 256, Activation.Gelu, gen);
        var x = Tensor.Randn(gen, [8, 96, 64]).RequireGrad();
        var h = block.Forward(x).Output;
        var normed = F.RmsNorm(h, null).Silu();
        var heads = F.Rope(normed.Reshape(8, 96, 2, 32).Transpose(1, 2), Enumerable.Range(3, 96).ToArray(), style: RopeStyle.Half);
        var logp = heads.LogSoftmax(-1);
        var weights = Tensor.Randn(new Generator(78), logp.Shape);
        logp.Mul(weights).Sum().Backward();
        var results = new List<float[]> { h.ToArray(), x.Grad!.ToArray() };
        results.AddRange(block.Parameters().Select(p => p.Grad!.ToArray()));
        return results;
    }

    [Fact]
    public void ABlockStepDoesNotDependOnTheThreadBudget()
    {
        int budget = ThreadBudget.Threads;
        var backend = Gemm.Backend;
        try
        {
            var backends = OpenBlas.IsAvailable ? new[] { GemmBackend.Managed, GemmBackend.OpenBlas } : [GemmBackend.Managed];
            foreach (var b in backends)
            {
                Gemm.Use(b);
                ThreadBudget.Use(1);
                var one = Step();
                foreach (int threads in new[] { 2, 3 })
                {
                    ThreadBudget.Use(threads);
                    var many = Step();
                    Assert.Equal(one.Count, many.Count);
                    for (int i = 0; i < one.Count; i++)
                    {
                        if (b == GemmBackend.OpenBlas)
                        {
                            Testing.Tolerance.AssertClose(one[i], many[i], atol: 1e-5, rtol: 1e-5, what: $"{b}, {threads} threads, tensor {i}");
                            continue;
                        }
                        int diff = FirstDifference(one[i], many[i]);
                        Assert.True(diff < 0, $"{b}, {threads} threads: tensor {i} differs from 1 thread at element {diff}");
                    }
                }
            }
        }
        finally
        {
            ThreadBudget.Use(budget);
            Gemm.Use(backend);
        }
    }

    /// <summary>Index of the first element whose bits differ, or −1.</summary>
    static int FirstDifference(float[] a, float[] b)
    {
        if (a.Length != b.Length) return 0;
        for (int j = 0; j < a.Length; j++)
            if (BitConverter.SingleToInt32Bits(a[j]) != BitConverter.SingleToInt32Bits(b[j])) return j;
        return -1;
    }

    [Fact]
    public void ABudgetBelowOneIsRejectedWithItsValue()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ThreadBudget.Use(0));
        Assert.Contains("0", e.Message);
    }

    [Fact]
    public void InsideAParallelLoopWorkGetsOneThread()
    {
        int budget = ThreadBudget.Threads;
        try
        {
            ThreadBudget.Use(2);
            var seen = new int[4];
            RowParallel.For(4, RowParallel.MinWork, (lo, hi) =>
            {
                for (int i = lo; i < hi; i++) seen[i] = ThreadBudget.Available;
            });
            Assert.All(seen, available => Assert.Equal(1, available));
            Assert.Equal(2, ThreadBudget.Available);
        }
        finally
        {
            ThreadBudget.Use(budget);
        }
    }
}
