using static DiffPrune.Tensors.Tests.Ops.TestTensors;

namespace DiffPrune.Tensors.Tests.Ops;

/// <summary>reshape/view/flatten/(un)squeeze, permute/transpose, slice, cat, stack, expand.</summary>
public class ShapeOpsTests
{
    [Fact]
    public void ReshapeFamilyGradients()
    {
        var x = Leaf(new Generator(81), 2, 3, 4);
        GradCheck.Check(t => t[0].Reshape(4, -1).Mul(t[0].Reshape(4, 6)), [x]);
        GradCheck.Check(t => t[0].View(6, 4).Exp(), [x]);
        GradCheck.Check(t => t[0].Flatten(1).Tanh(), [x]);
        GradCheck.Check(t => t[0].Unsqueeze(1).Squeeze(1).Unsqueeze(-1).Sigmoid(), [x]);
    }

    [Fact]
    public void ReshapeIsAViewAndFlattenMergesDims()
    {
        var x = Tensor.Arange(24).Reshape(2, 3, 4);
        var v = x.Reshape(6, 4);
        v[5, 3] = -1f;
        Assert.Equal(-1f, x[1, 2, 3]);
        Assert.Equal([2, 12], x.Flatten(1).Shape);
        Assert.Equal([6, 4], x.Flatten(0, 1).Shape);
        Assert.Equal([2, 1, 3, 4], x.Unsqueeze(1).Shape);
        Assert.Equal([2, 3, 4, 1], x.Unsqueeze(-1).Shape);
    }

    [Theory]
    [InlineData(new[] { 1, 0, 2 })]
    [InlineData(new[] { 2, 0, 1 })]
    [InlineData(new[] { 0, 2, 1 })]
    public void PermuteGradientAndValues(int[] dims)
    {
        var x = Leaf(new Generator(82), 2, 3, 4);
        var y = x.Permute(dims);
        Assert.Equal(dims.Select(d => x.Shape[d]).ToArray(), y.Shape);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 4; k++)
                {
                    int[] src = [i, j, k];
                    Assert.Equal(x[i, j, k], y[src[dims[0]], src[dims[1]], src[dims[2]]]);
                }
        GradCheck.Check(t => t[0].Permute(dims), [x]);
    }

    [Fact]
    public void Permute4DAndTransposeGradients()
    {
        var x = Leaf(new Generator(83), 2, 3, 2, 4);
        GradCheck.Check(t => t[0].Permute(0, 2, 1, 3), [x]);
        GradCheck.Check(t => t[0].Permute(3, 1, 0, 2), [x]);
        GradCheck.Check(t => t[0].Transpose(1, 2), [x]);
        GradCheck.Check(t => t[0].Transpose(-1, 0), [x]);
    }

    [Theory]
    [InlineData(0, 1, 2)]
    [InlineData(1, 1, 3)]
    [InlineData(2, -3, -1)]
    [InlineData(-1, 0, 4)]
    public void SliceGradient(int dim, int start, int end)
    {
        var x = Leaf(new Generator(84), 2, 3, 4);
        GradCheck.Check(t => t[0].Slice(dim, start, end), [x]);
    }

    [Fact]
    public void SliceValuesWithNegativeBounds()
    {
        var x = Tensor.Arange(6);
        Assert.Equal([1f, 2f, 3f, 4f], x.Slice(0, 1, -1).ToArray());
        Assert.Equal([4f, 5f], x.Slice(0, -2, 6).ToArray());
        Assert.Empty(x.Slice(0, 3, 3).ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public void CatGradient(int dim)
    {
        var gen = new Generator(85);
        int[] Shape(int n) { int[] s = [2, 3, 4]; s[dim < 0 ? dim + 3 : dim] = n; return s; }
        var a = Leaf(gen, Shape(1));
        var b = Leaf(gen, Shape(3));
        var c = Tensor.Randn(gen, Shape(2)); // one input without grad
        var y = Tensor.Cat([a, b, c], dim);
        Assert.Equal(Shape(6), y.Shape);
        GradCheck.Check(t => Tensor.Cat([t[0], t[1], c], dim), [a, b]);
        Assert.Null(c.Grad);
    }

    [Fact]
    public void CatValues()
    {
        var a = Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2);
        var b = Tensor.FromArray([5f, 6f], 2, 1);
        Assert.Equal([1f, 2f, 5f, 3f, 4f, 6f], Tensor.Cat([a, b], 1).ToArray());
        Assert.Equal([1f, 2f, 3f, 4f, 1f, 2f, 3f, 4f], Tensor.Cat([a, a], 0).ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public void StackGradient(int dim)
    {
        var gen = new Generator(86);
        var a = Leaf(gen, 3, 2);
        var b = Leaf(gen, 3, 2);
        var y = Tensor.Stack([a, b, a], dim);
        Assert.Equal(3, y.Rank);
        Assert.Equal(3, y.Size(dim));
        GradCheck.Check(t => Tensor.Stack([t[0], t[1], t[0]], dim), [a, b]);
    }

    [Fact]
    public void ExpandGradient()
    {
        var gen = new Generator(87);
        var a = Leaf(gen, 3, 1);
        GradCheck.Check(t => t[0].Expand(2, 3, 4), [a]);
        var b = Leaf(gen, 1, 4);
        GradCheck.Check(t => t[0].Expand(3, 4), [b]);
        var c = Leaf(gen, 2, 1, 4);
        GradCheck.Check(t => t[0].Expand(2, 3, 4), [c]);
    }

    [Fact]
    public void ExpandValues()
    {
        var x = Tensor.FromArray([1f, 2f], 2, 1).Expand(2, 3);
        Assert.Equal([1f, 1f, 1f, 2f, 2f, 2f], x.ToArray());
    }
}
