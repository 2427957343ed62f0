using static DiffPrune.Tensors.Tests.Ops.TestTensors;

namespace DiffPrune.Tensors.Tests.Ops;

/// <summary>sum/mean/max/var over a dim (every dim, keepDim both ways) and over everything.</summary>
public class ReductionTests
{
    public static TheoryData<int, bool> DimsAndKeep => new()
    {
        { 0, false }, { 0, true }, { 1, false }, { 1, true }, { 2, false }, { 2, true }, { -1, false }, { -1, true },
    };

    [Theory]
    [MemberData(nameof(DimsAndKeep))]
    public void SumMeanVarGradients(int dim, bool keepDim)
    {
        var gen = new Generator(31);
        var x = Leaf(gen, 2, 3, 4);
        GradCheck.Check(t => t[0].Sum(dim, keepDim), [x]);
        GradCheck.Check(t => t[0].Mean(dim, keepDim), [x]);
        GradCheck.Check(t => t[0].Var(dim, keepDim), [x]);
        GradCheck.Check(t => t[0].Var(dim, keepDim, correction: 0), [x]);
    }

    [Theory]
    [MemberData(nameof(DimsAndKeep))]
    public void MaxGradient(int dim, bool keepDim)
    {
        // values 0.1 apart: a step of h = 0.01 never changes which element is the maximum
        var x = Distinct(new Generator(32), 0.1f, 2, 3, 4);
        GradCheck.Check(t => t[0].Max(dim, keepDim), [x]);
    }

    [Theory]
    [MemberData(nameof(DimsAndKeep))]
    public void ReducedShapes(int dim, bool keepDim)
    {
        var x = Tensor.Zeros(2, 3, 4);
        int d = dim < 0 ? dim + 3 : dim;
        var expected = keepDim
            ? x.Shape.Select((s, i) => i == d ? 1 : s).ToArray()
            : x.Shape.Where((_, i) => i != d).ToArray();
        Assert.Equal(expected, x.Sum(dim, keepDim).Shape);
        Assert.Equal(expected, x.Mean(dim, keepDim).Shape);
        Assert.Equal(expected, x.Max(dim, keepDim).Shape);
        Assert.Equal(expected, x.Var(dim, keepDim).Shape);
    }

    [Fact]
    public void FullSumAndMeanGradients()
    {
        var x = Leaf(new Generator(33), 3, 4);
        GradCheck.Check(t => t[0].Sum(), [x]);
        GradCheck.Check(t => t[0].Mean(), [x]);
    }

    [Fact]
    public void SumAndMeanValues()
    {
        var x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        AssertClose([5f, 7f, 9f], x.Sum(0));
        AssertClose([6f, 15f], x.Sum(1));
        AssertClose([2f, 5f], x.Mean(-1));
        Assert.Equal(21f, x.Sum().Item());
        Assert.Equal(3.5f, x.Mean().Item());
    }

    [Fact]
    public void MaxReturnsFirstMaximalIndexAndRoutesGradientThere()
    {
        var x = Tensor.FromArray([1f, 5f, 5f, 2f, 7f, 0f, 7f, 7f], 2, 4).RequireGrad();
        var (values, indices) = x.MaxWithIndices(1);
        Assert.Equal([5f, 7f], values.ToArray());
        Assert.Equal([1, 0], indices.Data);
        values.Sum().Backward();
        Assert.Equal([0f, 1f, 0f, 0f, 1f, 0f, 0f, 0f], x.Grad!.ToArray());
    }

    [Fact]
    public void UnbiasedVarMatchesPyTorch()
    {
        var x = Tensor.FromArray([1.0f, 2.5f, -0.5f, 4.0f, 0.0f, -2.0f, 3.0f, 1.5f, 2.0f, 2.0f, 1.0f, -1.0f], 3, 4);
        // torch.Tensor.var(dim) (unbiased), PyTorch 1.13
        AssertClose([1.0f, 6.083333492279053f, 3.0833332538604736f, 6.25f], x.Var(0), rtol: 1e-6);
        AssertClose([3.75f, 4.5625f, 2.0f], x.Var(1), rtol: 1e-6);
        // biased (correction 0) = unbiased·(n−1)/n
        AssertClose([3.75f * 3 / 4, 4.5625f * 3 / 4, 2.0f * 3 / 4], x.Var(1, correction: 0), rtol: 1e-6);
    }
}
