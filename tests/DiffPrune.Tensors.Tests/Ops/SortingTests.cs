namespace DiffPrune.Tensors.Tests.Ops;

/// <summary>argsort / sort / topk along the last dim: stable ties, both directions, NaN placement as PyTorch.</summary>
public class SortingTests
{
    // Two rows with ties.
    static Tensor Input() => Tensor.FromArray([3.0f, 1.0f, 3.0f, 2.0f, 1.0f, 3.0f, 0.5f, -1.0f, 0.5f, 0.5f, 2.0f, -1.0f], 2, 6);

    [Fact]
    public void DescendingSortIsStableAndMatchesPyTorch()
    {
        // torch.sort(x, dim=-1, descending=True, stable=True), PyTorch 1.13
        var (values, indices) = Input().Sort(descending: true);
        Assert.Equal([3.0f, 3.0f, 3.0f, 2.0f, 1.0f, 1.0f, 2.0f, 0.5f, 0.5f, 0.5f, -1.0f, -1.0f], values.ToArray());
        Assert.Equal([0, 2, 5, 3, 1, 4, 4, 0, 2, 3, 1, 5], indices.Data);
        Assert.Equal([2, 6], indices.Shape);
    }

    [Fact]
    public void AscendingSortIsStableAndMatchesPyTorch()
    {
        // torch.sort(x, dim=-1, descending=False, stable=True), PyTorch 1.13
        var (values, indices) = Input().Sort();
        Assert.Equal([1.0f, 1.0f, 2.0f, 3.0f, 3.0f, 3.0f, -1.0f, -1.0f, 0.5f, 0.5f, 0.5f, 2.0f], values.ToArray());
        Assert.Equal([1, 4, 3, 0, 2, 5, 1, 5, 0, 2, 3, 4], indices.Data);
        Assert.Equal(indices.Data, Input().Argsort().Data);
    }

    [Fact]
    public void TopKLargestAndSmallest()
    {
        // values: torch.topk, PyTorch 1.13; torch leaves the order among ties unspecified, the engine keeps the
        // stable order, i.e. the first k of the stable sort
        var (v, i) = Input().TopK(4);
        Assert.Equal([3.0f, 3.0f, 3.0f, 2.0f, 2.0f, 0.5f, 0.5f, 0.5f], v.ToArray());
        Assert.Equal([0, 2, 5, 3, 4, 0, 2, 3], i.Data);
        Assert.Equal([2, 4], v.Shape);
        var (vs, js) = Input().TopK(3, largest: false);
        Assert.Equal([1.0f, 1.0f, 2.0f, -1.0f, -1.0f, 0.5f], vs.ToArray());
        Assert.Equal([1, 4, 3, 1, 5, 0], js.Data);
        Assert.Equal([2, 0], Input().TopK(0).Values.Shape);
    }

    [Fact]
    public void NanIsLargestAsInPyTorch()
    {
        // PyTorch 1.13: sort ascending → [-2, 1, 3, nan] / [3, 0, 2, 1]; descending → [nan, 3, 1, -2] / [1, 2, 0, 3];
        // topk(2) → [nan, 3] / [1, 2]; topk(2, largest=False) → [-2, 1] / [3, 0]
        var x = Tensor.FromArray([1.0f, float.NaN, 3.0f, -2.0f], 4);
        Assert.Equal([3, 0, 2, 1], x.Argsort().Data);
        Assert.Equal([1, 2, 0, 3], x.Argsort(descending: true).Data);
        Assert.Equal([1, 2], x.TopK(2).Indices.Data);
        Assert.Equal([3, 0], x.TopK(2, largest: false).Indices.Data);
    }

    [Fact]
    public void SortedResultsAreDetached()
    {
        var x = Tensor.FromArray([2f, 1f], 2).RequireGrad();
        Assert.False(x.Sort().Values.RequiresGrad);
        Assert.False(x.TopK(1).Values.RequiresGrad);
    }

    [Fact]
    public void LongRowsSortLikeLinq()
    {
        var gen = new Generator(91);
        var x = Tensor.Randn(gen, [3, 257]);
        for (int i = 0; i < 40; i++) x.Data[gen.NextInt(x.Numel)] = 0.5f; // many ties
        var idx = x.Argsort(descending: true);
        for (int r = 0; r < 3; r++)
        {
            var expected = Enumerable.Range(0, 257).OrderByDescending(j => x[r, j]).ToArray(); // LINQ OrderBy is stable
            Assert.Equal(expected, idx.Data.AsSpan(r * 257, 257).ToArray());
        }
    }
}
