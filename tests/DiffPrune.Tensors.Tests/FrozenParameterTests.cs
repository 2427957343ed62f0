using DiffPrune.Tensors.Blas;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Tensors.Tests;

/// <summary>
/// Tests that count GEMM calls through the process-wide <see cref="Gemm.Calls"/>. xunit runs test classes in
/// parallel; this collection runs on its own, after the parallel ones, so no other test's GEMMs are counted.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GemmCountingCollection
{
    /// <summary>The collection name.</summary>
    public const string Name = "GEMM counting";
}

/// <summary>
/// A frozen parameter (RequiresGrad false) gets no gradient and costs no weight-gradient GEMM, while its
/// op's input still receives exactly the gradient it would get with the parameter trainable.
/// </summary>
[Collection(GemmCountingCollection.Name)]
public class FrozenParameterTests
{
    /// <summary>Runs <paramref name="backward"/> and returns how many GEMMs it issued.</summary>
    static long CountGemms(Action backward)
    {
        long before = Gemm.Calls;
        backward();
        return Gemm.Calls - before;
    }

    [Fact]
    public void FunctionalLinearSkipsWeightGradientGemm()
    {
        var gen = new Generator(201);
        var w = Tensor.Randn(gen, [5, 4]).RequireGrad();
        var b = Tensor.Randn(gen, [5]).RequireGrad();
        var x0 = Tensor.Randn(gen, [2, 3, 4]);
        var gy = Tensor.Randn(gen, [2, 3, 5]);

        var x = x0.Clone().RequireGrad();
        var y = F.Linear(x, w, b);
        Assert.Equal(2, CountGemms(() => y.Backward(gy)));   // dx and dW
        var trainedInputGrad = x.Grad!.ToArray();
        Assert.NotNull(w.Grad);
        Assert.NotNull(b.Grad);

        w.Grad = null; b.Grad = null;
        w.RequiresGrad = false; b.RequiresGrad = false;
        var xf = x0.Clone().RequireGrad();
        var yf = F.Linear(xf, w, b);
        Assert.True(yf.RequiresGrad);
        Assert.Equal(1, CountGemms(() => yf.Backward(gy)));  // dx only
        Assert.Null(w.Grad);
        Assert.Null(b.Grad);
        Assert.Equal(trainedInputGrad, xf.Grad!.ToArray()); // bit for bit
    }

    [Fact]
    public void FrozenLinearOnAnInputWithoutGradRecordsNothing()
    {
        var gen = new Generator(202);
        var w = Tensor.Randn(gen, [5, 4]);
        var x = Tensor.Randn(gen, [3, 4]);
        var y = F.Linear(x, w);
        Assert.False(y.RequiresGrad);
        Assert.True(y.IsLeaf);
    }

    [Fact]
    public void LinearModuleFrozenWithRequiresGradFalse()
    {
        var gen = new Generator(203);
        var layer = new Linear(4, 6, bias: true, gen);
        var x0 = Tensor.Randn(gen, [2, 3, 4]);
        var gy = Tensor.Randn(gen, [2, 3, 6]);

        var x = x0.Clone().RequireGrad();
        var y = layer.Forward(x);
        Assert.Equal(2, CountGemms(() => y.Backward(gy)));
        var trainedInputGrad = x.Grad!.ToArray();

        layer.ZeroGrad();
        layer.RequiresGrad(false);
        Assert.Empty(layer.TrainableParameters());
        var xf = x0.Clone().RequireGrad();
        var yf = layer.Forward(xf);
        Assert.Equal(1, CountGemms(() => yf.Backward(gy)));
        Assert.All(layer.Parameters(), p => Assert.Null(p.Grad));
        Assert.Equal(trainedInputGrad, xf.Grad!.ToArray());
    }

    [Fact]
    public void FrozenTransformerBlockSkipsEveryWeightGradientGemm()
    {
        var gen = new Generator(204);
        var block = new TransformerBlock(dim: 8, heads: 2, mlpHidden: 16, Activation.Gelu, gen);
        int linears = 6; // q, k, v, out projections; fc1, fc2
        var x0 = Tensor.Randn(gen, [2, 5, 8]);
        var gy = Tensor.Randn(gen, [2, 5, 8]);

        var x = x0.Clone().RequireGrad();
        var (y, _) = block.Forward(x, AttentionMask.Causal);
        long trained = CountGemms(() => y.Backward(gy));
        var trainedInputGrad = x.Grad!.ToArray();
        Assert.All(block.Parameters(), p => Assert.NotNull(p.Grad));

        block.ZeroGrad();
        block.RequiresGrad(false);
        var xf = x0.Clone().RequireGrad();
        var (yf, _) = block.Forward(xf, AttentionMask.Causal);
        long frozen = CountGemms(() => yf.Backward(gy));
        Assert.Equal(trained - linears, frozen);
        Assert.All(block.Parameters(), p => Assert.Null(p.Grad));
        Assert.Equal(trainedInputGrad, xf.Grad!.ToArray());

        // and the input gradient is right: finite differences through the frozen block
        var small = Tensor.Randn(gen, [1, 3, 8]).RequireGrad();
        GradCheck.Check(t => block.Forward(t[0], AttentionMask.Causal).Output, [small]);
    }

    [Fact]
    public void PartlyFrozenBlockTrainsOnlyTheUnfrozenParameters()
    {
        var gen = new Generator(205);
        var block = new TransformerBlock(dim: 8, heads: 2, mlpHidden: 16, Activation.Silu, gen);
        block.RequiresGrad(false);
        block.Mlp.Fc2.Weight.RequiresGrad = true;
        var x = Tensor.Randn(gen, [1, 4, 8]); // the input itself needs no gradient
        var (y, _) = block.Forward(x);
        long gemms = CountGemms(() => y.Sum().Backward());
        Assert.Equal(1, gemms); // only dW of fc2: nothing before fc2 needs a gradient
        foreach (var (name, p) in block.NamedParameters())
            Assert.True((p.Grad != null) == (name == "mlp.fc2.weight"), name);
    }
}
