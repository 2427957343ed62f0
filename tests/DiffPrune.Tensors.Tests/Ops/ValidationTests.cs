namespace DiffPrune.Tensors.Tests.Ops;

/// <summary>Bad shapes and indices throw an <see cref="ArgumentException"/> whose message names the shapes involved.</summary>
public class ValidationTests
{
    static void Throws(Action act, params string[] mentions)
    {
        var e = Assert.ThrowsAny<ArgumentException>(act);
        foreach (var m in mentions) Assert.Contains(m, e.Message);
    }

    [Fact]
    public void MatmulInnerMismatch()
    {
        Throws(() => Tensor.Zeros(2, 3).Matmul(Tensor.Zeros(4, 5)), "[2, 3]", "[4, 5]", "3 vs 4");
        Throws(() => Tensor.Zeros(2, 2, 3).Matmul(Tensor.Zeros(2, 5, 3)), "[2, 2, 3]", "[2, 5, 3]");
        Throws(() => Tensor.Zeros(2, 3).Matmul(Tensor.Zeros(4, 3), transA: true, transB: true), "[2, 3]", "[4, 3]");
        Throws(() => Tensor.Zeros(3).Matmul(Tensor.Zeros(3, 2)), "[3]", "rank");
    }

    [Fact]
    public void MatmulBatchMismatch() =>
        Throws(() => Tensor.Zeros(2, 3, 4).Matmul(Tensor.Zeros(3, 4, 5)), "[2, 3, 4]", "[3, 4, 5]", "batch");

    [Fact]
    public void BroadcastFailure()
    {
        Throws(() => Tensor.Zeros(2, 3).Add(Tensor.Zeros(4)), "[2, 3]", "[4]", "broadcast");
        Throws(() => Tensor.Zeros(2, 3, 4).Mul(Tensor.Zeros(2, 4)), "[2, 3, 4]", "[2, 4]");
        Throws(() => Tensor.Zeros(2, 3).Expand(4, 3), "[2, 3]", "[4, 3]");
    }

    [Fact]
    public void ReshapeToWrongSize()
    {
        Throws(() => Tensor.Zeros(2, 3).Reshape(4, 2), "[2, 3]", "[4, 2]");
        Throws(() => Tensor.Zeros(2, 3).Reshape(-1, 4), "[2, 3]", "[-1, 4]");
        Throws(() => Tensor.Zeros(2, 3).Squeeze(0), "[2, 3]");
    }

    [Fact]
    public void CatMismatch()
    {
        Throws(() => Tensor.Cat([Tensor.Zeros(2, 3), Tensor.Zeros(2, 4)], 0), "[2, 3]", "[2, 4]");
        Throws(() => Tensor.Cat([Tensor.Zeros(2, 3), Tensor.Zeros(2, 3, 1)], 1), "[2, 3]", "[2, 3, 1]");
        Throws(() => Tensor.Stack([Tensor.Zeros(2), Tensor.Zeros(3)]), "[2]", "[3]");
    }

    [Fact]
    public void IndexOutOfRange()
    {
        Throws(() => Tensor.Zeros(3, 2).IndexSelect(0, [0, 3]), "3", "[3, 2]");
        Throws(() => Tensor.Zeros(3, 2).IndexSelect(1, [-1]), "-1", "[3, 2]");
        Throws(() => Tensor.Zeros(3, 2).Gather(1, new IntTensor([0, 2, 1, 0, 0, 1], 3, 2)), "2", "[3, 2]");
        Throws(() => Tensor.Zeros(3).ScatterAdd(0, new IntTensor([5], 1), Tensor.Zeros(1)), "5", "[3]");
        Throws(() => F.Embedding(new IntTensor([1, 7], 2), Tensor.Zeros(4, 2)), "7", "[4, 2]");
        Throws(() => F.CrossEntropy(Tensor.Zeros(2, 3), [0, 3]), "3", "[2, 3]");
        Throws(() => Tensor.Zeros(2, 3).Slice(1, 1, 4), "[2, 3]");
    }

    [Fact]
    public void IndexShapeMismatch()
    {
        Throws(() => Tensor.Zeros(3, 2).Gather(1, new IntTensor([0, 1, 0], 3)), "[3]", "[3, 2]");
        Throws(() => Tensor.Zeros(3, 2).ScatterAdd(0, new IntTensor([0, 1], 1, 2), Tensor.Zeros(2, 1)), "[2, 1]", "[1, 2]");
    }

    [Fact]
    public void TopKOutOfRange()
    {
        Throws(() => Tensor.Zeros(2, 5).TopK(6), "6", "[2, 5]");
        Throws(() => Tensor.Zeros(2, 5).TopK(-1), "-1", "[2, 5]");
    }

    [Fact]
    public void FunctionalShapeErrors()
    {
        Throws(() => F.Linear(Tensor.Zeros(2, 3), Tensor.Zeros(4, 5)), "[2, 3]", "[4, 5]");
        Throws(() => F.Linear(Tensor.Zeros(2, 5), Tensor.Zeros(4, 5), Tensor.Zeros(3)), "[3]", "4");
        Throws(() => F.LayerNorm(Tensor.Zeros(2, 5), Tensor.Zeros(4), null), "[4]", "[2, 5]");
        Throws(() => F.RmsNorm(Tensor.Zeros(2, 5), Tensor.Zeros(6)), "[6]", "[2, 5]");
        Throws(() => F.CrossEntropy(Tensor.Zeros(2, 3), [0]), "[2, 3]");
        Throws(() => F.ScaledDotProductAttention(Tensor.Zeros(1, 3, 2, 4), Tensor.Zeros(1, 2, 2, 4), Tensor.Zeros(1, 2, 2, 4)), "[1, 3, 2, 4]", "[1, 2, 2, 4]");
        Throws(() => F.Rope(Tensor.Zeros(1, 1, 3, 4), [0, 1]), "2 position ids", "3 tokens");
        Throws(() => F.Rope(Tensor.Zeros(1, 1, 3, 5), [0, 1, 2]), "[1, 1, 3, 5]");
    }

    [Fact]
    public void DimOutOfRange()
    {
        Throws(() => Tensor.Zeros(2, 3).Sum(2), "dim 2", "2-d");
        Throws(() => Tensor.Zeros(2, 3).Softmax(-3), "dim -3");
        Throws(() => Tensor.Zeros(2, 3).Permute(0, 0), "[0, 0]", "[2, 3]");
    }
}
