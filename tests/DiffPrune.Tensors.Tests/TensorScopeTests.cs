using DiffPrune.Tensors.Optim;

namespace DiffPrune.Tensors.Tests;

/// <summary>The caching allocator: a scoped step gives the same numbers as an unscoped one, reuses its buffers, and
/// keeps what the user keeps.</summary>
public class TensorScopeTests
{
    /// <summary>A small step through the pooled ops: linear, norms, activations, RoPE, fused attention, broadcasting, loss.</summary>
    static Tensor Loss(Tensor[] p, Tensor x)
    {
        var h = F.RmsNorm(F.Linear(x, p[0], p[1]), p[2]).Silu();                      // (2, 6, 32)
        var q = F.RopeTokenMajor(h.Reshape(2, 6, 4, 8), [0, 1, 2, 3, 4, 5], 100f, RopeStyle.Half).Reshape(2, 6, 32);
        var (a, _) = F.Attention(q, h, h, heads: 4, kvHeads: 4, mask: AttentionMask.Causal);
        var y = F.LayerNorm(a.Add(h).Mul(p[3]), p[4], null).Gelu();
        return F.CrossEntropy(F.Linear(y.Reshape(12, 32), p[5]), [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3]);
    }

    static Tensor[] Parameters()
    {
        var gen = new Generator(5);
        return
        [
            Tensor.Randn(gen, [32, 16], 0, 0.2f).RequireGrad(), Tensor.Randn(gen, [32], 0, 0.1f).RequireGrad(),
            Tensor.Ones(32).RequireGrad(), Tensor.Randn(gen, [32], 1, 0.1f).RequireGrad(),
            Tensor.Ones(32).RequireGrad(), Tensor.Randn(gen, [8, 32], 0, 0.2f).RequireGrad(),
        ];
    }

    static (float[][] Weights, long LastStepBytes) Train(bool scoped, int steps = 3)
    {
        var p = Parameters();
        var opt = new AdamW(p, 1e-2f);
        long bytes = 0;
        for (int s = 0; s < steps; s++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            using (scoped ? TensorScope.Begin() : null)
            {
                var x = Tensor.Randn(new Generator((ulong)s), [2, 6, 16]);
                Loss(p, x).Backward();
                opt.StepOnce();
                opt.ZeroGrad();
            }
            bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        return (p.Select(t => t.ToArray()).ToArray(), bytes);
    }

    [Fact]
    public void ScopedTrainingIsBitIdenticalToUnscoped()
    {
        var plain = Train(scoped: false).Weights;
        var pooled = Train(scoped: true).Weights;
        for (int i = 0; i < plain.Length; i++) Assert.Equal(plain[i], pooled[i]);
    }

    [Fact]
    public void ScopedStepReusesTheBuffersOfTheStepBefore()
    {
        long plain = Train(scoped: false).LastStepBytes;
        long pooled = Train(scoped: true).LastStepBytes;
        // what remains is graph records, closures and shape arrays, not tensor storage
        Assert.True(pooled < plain * 0.6, $"a scoped step allocated {pooled} bytes, an unscoped one {plain}");
    }

    [Fact]
    public void KeptTensorOutlivesItsScope()
    {
        Tensor kept, dropped;
        using (var scope = TensorScope.Begin())
        {
            var x = Tensor.Randn(new Generator(1), [100, 10]);
            kept = scope.Keep(x.Mul(2f));
            dropped = x.Mul(3f);
            Assert.Equal(1, scope.OwnedBuffers);
        }
        var expected = Tensor.Randn(new Generator(1), [100, 10]).Mul(2f).ToArray();
        using (TensorScope.Begin())
            for (int i = 0; i < 8; i++) Tensor.Randn(new Generator(9), [100, 10]).Mul(5f); // reuses the dropped buffer
        Assert.Equal(expected, kept.ToArray());
        Assert.NotNull(dropped);
    }

    [Fact]
    public void HeldTensorOutlivesEveryScopeUntilReleasedAndThenGoesBackToThePool()
    {
        using var holder = new TensorHolder();
        var x = Tensor.Randn(new Generator(1), [123, 457]);
        Tensor held;
        using (var outer = TensorScope.Begin())
        {
            held = holder.Hold(() => x.Mul(2f).Add(1f)); // the Mul result returns when Hold ends, the Add result is held
            Assert.Equal(0, outer.OwnedBuffers);
        }
        Assert.Equal(1, holder.Count);
        using (TensorScope.Begin())
            for (int i = 0; i < 4; i++) Tensor.Randn(new Generator(9), [123, 457]).Mul(5f); // reuses every returned buffer
        Assert.Equal(x.Mul(2f).Add(1f).ToArray(), held.ToArray());

        holder.Release(x); // not held: nothing happens
        Assert.Equal(1, holder.Count);
        var buffer = held.Storage;
        holder.Release(held);
        Assert.Equal(0, holder.Count);
        var reused = StoragePool.Rent(123 * 457); // the pool hands out its most recent return of a size class first
        Assert.Same(buffer, reused);
        StoragePool.Return(reused);
        holder.Dispose();
        Assert.Throws<ObjectDisposedException>(() => holder.Hold(() => x.Mul(1f)));
    }

    [Fact]
    public void KeptTensorMovesToTheEnclosingScope()
    {
        using var outer = TensorScope.Begin();
        using (var inner = TensorScope.Begin())
            inner.Keep(Tensor.Ones(100).Mul(2f));
        Assert.Equal(1, outer.OwnedBuffers);
    }

    [Fact]
    public void ScopesMustEndInnermostFirst()
    {
        var outer = TensorScope.Begin();
        var inner = TensorScope.Begin();
        var e = Assert.Throws<InvalidOperationException>(outer.Dispose);
        Assert.Contains("reverse order", e.Message);
        inner.Dispose();
        outer.Dispose();
        Assert.Null(TensorScope.Current);
    }

    [Fact]
    public void FactoriesAndSmallTensorsAreNotPooled()
    {
        using var scope = TensorScope.Begin();
        Tensor.Zeros(1000);
        Tensor.Ones(3).Mul(2f);
        Assert.Equal(0, scope.OwnedBuffers);
    }

    [Fact]
    public void ScratchLongerThanASizeClassStillFitsItsRows()
    {
        // masked softmax's backward rents one row of scratch: 100 floats come back as a longer array
        var x = Tensor.Randn(new Generator(3), [2, 100]).RequireGrad();
        var w = Tensor.Randn(new Generator(4), [2, 100]);
        x.MaskedSoftmax(null, 0.5f).Mul(w).Sum().Backward();
        var composed = x.Detach().Clone().RequireGrad();
        composed.Mul(0.5f).Softmax(-1).Mul(w).Sum().Backward();
        var (a, b) = (x.Grad!.ToArray(), composed.Grad!.ToArray());
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 1e-6, $"element {i}: {a[i]} vs {b[i]}");
    }

    [Theory]
    [InlineData(65)]
    [InlineData(100)]
    [InlineData(1 << 20)]
    [InlineData((1 << 20) + 1)]
    [InlineData(123_457)]
    public void SizeClassesWasteAtMostAQuarter(int length)
    {
        int size = StoragePool.SizeClass(length);
        Assert.InRange(size, length, length * 1.25);
        Assert.Equal(size, StoragePool.SizeClass(size));
    }

    [Fact]
    public void RentZeroedClearsWhatItHandsOut()
    {
        var a = StoragePool.Rent(1000);
        Array.Fill(a, 7f);
        StoragePool.Return(a);
        var b = StoragePool.RentZeroed(1000);
        Assert.All(b.AsSpan(0, 1000).ToArray(), v => Assert.Equal(0f, v));
        StoragePool.Return(b);
    }
}
