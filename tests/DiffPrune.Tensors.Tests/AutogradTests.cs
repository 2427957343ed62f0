namespace DiffPrune.Tensors.Tests;

/// <summary>
/// Reverse-mode semantics: accumulation, shared subexpressions, NoGrad, errors, graph and gradient release,
/// deep graphs, and user-defined functions (<see cref="Autograd.Function"/>).
/// </summary>
public class AutogradTests
{
    [Fact]
    public void GradientAccumulatesAcrossBackwardCallsOnSeparateGraphs()
    {
        var x = Tensor.FromArray([1f, 2f, 3f], 3).RequireGrad();
        x.Mul(x).Sum().Backward();                  // 2x
        Assert.Equal([2f, 4f, 6f], x.Grad!.ToArray());
        x.Mul(3f).Sum().Backward();                 // + 3
        Assert.Equal([5f, 7f, 9f], x.Grad!.ToArray());
        x.ZeroGrad();
        Assert.Null(x.Grad);
    }

    [Fact]
    public void DiamondGraphSumsBothPaths()
    {
        // y = 2x; L = Σ (y² + y)  ⇒  dL/dx = 2·(2y + 1)
        var x = Tensor.FromArray([0.5f, -1f, 2f], 3).RequireGrad();
        var y = x.Mul(2f);
        y.Mul(y).Add(y).Sum().Backward();
        Assert.Equal([6f, -6f, 18f], x.Grad!.ToArray());

        // x feeds two different ops that meet again: L = Σ eˣ·3x ⇒ dL/dx = 3eˣ(1 + x)
        var z = Tensor.FromArray([0.25f, -0.5f], 2).RequireGrad();
        z.Exp().Mul(z.Mul(3f)).Sum().Backward();
        for (int i = 0; i < 2; i++)
            Assert.Equal(3f * MathF.Exp(z.Data[i]) * (1f + z.Data[i]), z.Grad!.Data[i], 1e-6f);
        GradCheck.Check(t => t[0].Exp().Mul(t[0].Mul(3f)).Add(t[0].Tanh().Mul(t[0])), [GradCheck.Leaf(new Generator(3), 6)]);
    }

    [Fact]
    public void NoGradRecordsNothing()
    {
        var x = Tensor.FromArray([1f, 2f], 2).RequireGrad();
        Tensor y;
        using (Autograd.NoGrad())
        {
            Assert.False(Autograd.IsEnabled);
            using (Autograd.NoGrad()) y = x.Mul(2f).Exp();
            Assert.False(Autograd.IsEnabled); // still off after the inner scope ends
            var z = x.Reshape(1, 2).Matmul(x.Reshape(2, 1)).Sum();
            Assert.False(z.RequiresGrad);
        }
        Assert.True(Autograd.IsEnabled);
        Assert.False(y.RequiresGrad);
        Assert.True(y.IsLeaf);
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("does not require grad", e.Message);
        Assert.Null(x.Grad);
        // recording resumes after the scope
        Assert.True(x.Mul(2f).RequiresGrad);
    }

    [Fact]
    public void NoGradScopeDisposedTwiceDoesNotReenableEarly()
    {
        var outer = Autograd.NoGrad();
        var inner = Autograd.NoGrad();
        inner.Dispose();
        inner.Dispose();
        Assert.False(Autograd.IsEnabled);
        outer.Dispose();
        Assert.True(Autograd.IsEnabled);
    }

    [Fact]
    public void BackwardOnNonScalarWithoutGradientThrowsClearly()
    {
        var x = Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2).RequireGrad();
        var y = x.Mul(2f);
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("not a scalar", e.Message);
        Assert.Contains("[2, 2]", e.Message);
        // with an explicit output gradient it works: Σ y·g
        y.Backward(Tensor.FromArray([1f, 0f, -1f, 0.5f], 2, 2));
        Assert.Equal([2f, 0f, -2f, 1f], x.Grad!.ToArray());
    }

    [Fact]
    public void BackwardWithWrongSizedGradientThrows()
    {
        var y = Tensor.Ones(3).RequireGrad().Mul(2f);
        Assert.ThrowsAny<ArgumentException>(() => y.Backward(Tensor.Ones(2)));
    }

    [Fact]
    public void IntermediateGradientsAreFreedUnlessRetained()
    {
        var x = Tensor.FromArray([1f, 2f], 2).RequireGrad();
        var a = x.Mul(3f);
        var b = x.Mul(2f).RetainGrad();
        var loss = a.Mul(b).Sum();
        loss.Backward();
        Assert.Null(a.Grad);
        Assert.Null(loss.Grad);
        Assert.Equal([3f, 6f], b.Grad!.ToArray()); // dL/db = a
        Assert.Equal([12f, 24f], x.Grad!.ToArray()); // d(6x²)/dx
        // the graph is released too: intermediates no longer reference their inputs
        Assert.True(a.IsLeaf);
        Assert.True(loss.IsLeaf);
    }

    [Fact]
    public void RecycledIntermediateGradientsStartFromZero()
    {
        // a length no other test uses, so the pool's arrays of it come from this test only
        const int n = 4099;
        var x = Tensor.FromArray(Enumerable.Range(0, n).Select(i => i * 1e-3f).ToArray(), n).RequireGrad();
        float[] Grad()
        {
            x.ZeroGrad();
            x.Mul(2f).Exp().Mul(x).Sum().Backward();   // three intermediate gradients of n floats, then released
            return x.Grad!.ToArray();
        }
        var first = Grad();
        Assert.Equal(first, Grad());                   // dirty recycled arrays would add the first pass's values
        var kept = x.Mul(5f).RetainGrad();
        kept.Sum().Backward();
        var again = Grad();                            // must not reuse the retained gradient's array
        Assert.Equal(first, again);
        Assert.All(kept.Grad!.ToArray(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void SecondBackwardThroughAReleasedGraphThrows()
    {
        var x = Tensor.FromArray([1f, 2f], 2).RequireGrad();
        var y = x.Exp();
        var loss = y.Sum();
        loss.Backward();
        var before = x.Grad!.ToArray();
        var e = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("released", e.Message);
        // reusing an intermediate of the released graph in a new graph would silently stop at it: refused too
        e = Assert.Throws<InvalidOperationException>(() => y.Mul(2f).Sum().Backward());
        Assert.Contains("released", e.Message);
        Assert.Equal(before, x.Grad!.ToArray());
        // a detached copy is fine
        y.Detach().RequireGrad().Mul(2f).Sum().Backward();
    }

    [Fact]
    public void DeepChainDoesNotOverflowTheStack()
    {
        // 20 000 recorded adds, walked on a thread with a small stack: a recursive topological sort or a
        // recursive backward would overflow it
        Exception? failure = null;
        float grad = 0, value = 0;
        var thread = new Thread(() =>
        {
            try
            {
                var x = Tensor.FromArray([1f], 1).RequireGrad();
                var one = Tensor.Ones(1);
                var y = x;
                for (int i = 0; i < 20_000; i++) y = y.Add(one);
                y = y.Add(x); // x reached along two paths
                value = y.Item();
                y.Sum().Backward();
                grad = x.Grad!.Item();
            }
            catch (Exception e) { failure = e; }
        }, maxStackSize: 256 * 1024);
        thread.Start();
        thread.Join();
        Assert.Null(failure);
        Assert.Equal(20_002f, value);
        Assert.Equal(2f, grad);
    }

    [Fact]
    public void LeafRootAccumulatesItsOwnGradient()
    {
        var x = Tensor.Scalar(3f).RequireGrad();
        x.Backward();
        Assert.Equal(1f, x.Grad!.Item());
    }

    [Fact]
    public void RequiresGradCannotBeClearedOnANonLeaf()
    {
        var y = Tensor.Ones(2).RequireGrad().Mul(2f);
        Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
        Assert.False(y.Detach().RequiresGrad);
    }

    // ------------------------------------------------------------------ custom functions

    /// <summary>f(a, b) = a·exp(b) with a hand-written backward: da = g·exp(b), db = g·a·exp(b).</summary>
    static Tensor AExpB(Tensor a, Tensor b)
    {
        Tensor eb, y;
        using (Autograd.NoGrad()) { eb = b.Exp(); y = a.Mul(eb); }
        return Autograd.Function("a_exp_b", y, [a, b], g => [g.Mul(eb), g.Mul(y)]);
    }

    [Fact]
    public void CustomFunctionGradientMatchesFiniteDifferences()
    {
        var gen = new Generator(5);
        var a = GradCheck.Leaf(gen, 2, 3);
        var b = GradCheck.Leaf(gen, 2, 3);
        GradCheck.Check(t => AExpB(t[0], t[1]), [a, b]);
        // composed with built-in ops on both sides
        GradCheck.Check(t => AExpB(t[0].Tanh(), t[1].Mul(0.5f)).Softmax(-1), [a, b]);
    }

    [Fact]
    public void CustomFunctionMayReturnNullForAnInput()
    {
        var gen = new Generator(6);
        var a = GradCheck.Leaf(gen, 4);
        var b = GradCheck.Leaf(gen, 4);
        // straight-through: y = round(a) + b, gradient passes to a unchanged and to b as usual; b's is left to null
        Tensor Ste(Tensor x, Tensor c)
        {
            var y = Tensor.FromArray(x.ToArray().Select(v => MathF.Round(v)).ToArray(), x.Shape);
            return Autograd.Function("round_ste", y, [x], g => [g]).Add(c);
        }
        Ste(a, b).Mul(Tensor.FromArray([1f, 2f, 3f, 4f], 4)).Sum().Backward();
        Assert.Equal([1f, 2f, 3f, 4f], a.Grad!.ToArray());
        Assert.Equal([1f, 2f, 3f, 4f], b.Grad!.ToArray());

        var c = GradCheck.Leaf(gen, 4);
        var d = GradCheck.Leaf(gen, 4);
        Autograd.Function("first_only", c.Detach().Add(d.Detach()), [c, d], g => [g, null]).Sum().Backward();
        Assert.NotNull(c.Grad);
        Assert.Null(d.Grad);
    }

    [Fact]
    public void CustomFunctionWithWrongGradientShapeThrowsAtBackward()
    {
        var a = Tensor.Ones(3).RequireGrad();
        var y = Autograd.Function("bad", a.Detach().Mul(2f), [a], g => [Tensor.Ones(2)]);
        var e = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Contains("bad", e.Message);
        Assert.Contains("[2]", e.Message);
        Assert.Contains("[3]", e.Message);
        var wrongCount = Autograd.Function("bad_count", a.Detach().Mul(2f), [a], g => [g, g]);
        Assert.Throws<InvalidOperationException>(() => wrongCount.Sum().Backward());
    }

    [Fact]
    public void CustomFunctionRecordsNothingWithoutGradOrUnderNoGrad()
    {
        var a = Tensor.Ones(3);
        Assert.False(Autograd.Function("f", a.Mul(2f), [a], g => [g]).RequiresGrad);
        var b = Tensor.Ones(3).RequireGrad();
        using (Autograd.NoGrad())
            Assert.False(Autograd.Function("f", Tensor.Ones(3), [b], g => [g]).RequiresGrad);
        // the output of a function never aliases a graph node of its input
        var y = Autograd.Function("f", b, [b], g => [g.Mul(5f)]);
        Assert.NotSame(b, y);
        y.Sum().Backward();
        Assert.Equal([5f, 5f, 5f], b.Grad!.ToArray());
    }
}
