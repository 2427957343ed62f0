using static DiffPrune.Tensors.Tests.Ops.TestTensors;

namespace DiffPrune.Tensors.Tests.Ops;

/// <summary>index_select, embedding, gather, scatter_add: repeated indices must accumulate in the backward.</summary>
public class IndexingTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public void IndexSelectGradientWithRepeatedIndices(int dim)
    {
        var x = Leaf(new Generator(71), 3, 4, 2);
        int size = x.Size(dim);
        int[] idx = [size - 1, 0, size - 1, 1, size - 1];
        GradCheck.Check(t => t[0].IndexSelect(dim, idx), [x]);
    }

    [Fact]
    public void IndexSelectBackwardCountsRepeats()
    {
        var x = Tensor.Zeros(4, 2).RequireGrad();
        x.IndexSelect(0, [2, 0, 2, 2]).Sum().Backward();
        Assert.Equal([1f, 1f, 0f, 0f, 3f, 3f, 0f, 0f], x.Grad!.ToArray());
    }

    [Fact]
    public void EmbeddingGradientWithRepeatedIds()
    {
        var w = Leaf(new Generator(72), 5, 3);
        var ids = new IntTensor([4, 1, 4, 0, 1, 4], 2, 3);
        var y = F.Embedding(ids, w);
        Assert.Equal([2, 3, 3], y.Shape);
        Assert.Equal(w[4, 2], y[0, 2, 2]);
        GradCheck.Check(t => F.Embedding(ids, t[0]), [w]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void GatherGradientWithRepeatedIndices(int dim)
    {
        var gen = new Generator(73);
        var x = Leaf(gen, 3, 4);
        int[] shape = dim == 0 ? [5, 4] : [3, 6];
        var idx = new int[ShapeUtil.Numel(shape)];
        for (int i = 0; i < idx.Length; i++) idx[i] = gen.NextInt(x.Shape[dim]);
        idx[0] = idx[^1] = 1; // at least one guaranteed repeat
        var index = new IntTensor(idx, shape);
        GradCheck.Check(t => t[0].Gather(dim, index), [x]);
    }

    [Fact]
    public void GatherValues()
    {
        var x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        var y = x.Gather(1, new IntTensor([2, 2, 0, 1], 2, 2));
        Assert.Equal([3f, 3f, 4f, 5f], y.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void ScatterAddGradientWrtBothInputs(int dim)
    {
        var gen = new Generator(74);
        var x = Leaf(gen, 3, 4);
        int[] shape = dim == 0 ? [5, 4] : [3, 6];
        var idx = new int[ShapeUtil.Numel(shape)];
        for (int i = 0; i < idx.Length; i++) idx[i] = gen.NextInt(x.Shape[dim]);
        idx[0] = idx[^1] = 2;
        var index = new IntTensor(idx, shape);
        var src = Leaf(gen, shape);
        GradCheck.Check(t => t[0].ScatterAdd(dim, index, t[1]), [x, src]);
    }

    [Fact]
    public void ScatterAddAccumulatesRepeatedIndices()
    {
        var x = Tensor.FromArray([10f, 20f, 30f], 3);
        var src = Tensor.FromArray([1f, 2f, 4f, 8f], 4);
        var y = x.ScatterAdd(0, new IntTensor([2, 0, 2, 2], 4), src);
        Assert.Equal([12f, 20f, 43f], y.ToArray());
        Assert.Equal([10f, 20f, 30f], x.ToArray()); // out of place
    }

    [Fact]
    public void ScatterAddThenGatherRoundTripsGradients()
    {
        // d/dsrc of gather(scatter_add(0, idx, src), idx) with repeated idx: each src element receives the
        // count of its slot's readers (here slot 2 is written three times and read three times)
        var src = Tensor.Ones(4).RequireGrad();
        var index = new IntTensor([2, 0, 2, 2], 4);
        Tensor.Zeros(3).ScatterAdd(0, index, src).Gather(0, index).Sum().Backward();
        Assert.Equal([3f, 1f, 3f, 3f], src.Grad!.ToArray());
    }
}
