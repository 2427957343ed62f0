namespace DiffPrune.Tensors.Tests;

public class BatchNoiseTests
{
    [Fact]
    public void SharesOfABatchGetTheWholeBatchsRowsAndLeaveTheGeneratorWhereItWould()
    {
        // batch of 5 rows of (3, 4) split 3 + 2, as two data-parallel ranks split it
        var whole = Tensor.Randn(new Generator(9), [5, 3, 4]);
        var wholeGumbel = Tensor.RandGumbel(new Generator(9), 5, 3);
        var first = new BatchNoise(new Generator(9), 0, 5);
        var second = new BatchNoise(new Generator(9), 3, 5);
        Assert.Equal(whole.Data[..36].ToArray(), first.Normal([3, 3, 4]).Data.ToArray());
        Assert.Equal(whole.Data[36..].ToArray(), second.Normal([2, 3, 4]).Data.ToArray());
        Assert.Equal(wholeGumbel.Data[9..].ToArray(), new BatchNoise(new Generator(9), 3, 5).Gumbel([2, 3]).Data.ToArray());
        var after = new Generator(9);
        Tensor.Randn(after, [5, 3, 4]);
        Assert.Equal(after.NextUInt64(), second.Generator.NextUInt64());
    }

    [Fact]
    public void AGeneratorIsTheWholeBatch()
    {
        BatchNoise noise = new Generator(3);
        Assert.Equal(Tensor.Randn(new Generator(3), [2, 7]).Data.ToArray(), noise.Normal([2, 7]).Data.ToArray());
    }

    [Fact]
    public void RowsOutsideTheBatchAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNoise(new Generator(1), 6, 5));
        Assert.Throws<ArgumentException>(() => new BatchNoise(new Generator(1), 4, 5).Normal([2, 3]));
    }
}
