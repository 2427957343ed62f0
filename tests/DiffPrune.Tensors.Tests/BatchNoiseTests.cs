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
    public void AShareOfFewerSlotsGetsTheFirstSlotsOfItsRowsOfThePaddedBatchsNoise()
    {
        // a padded batch of 3 rows of 5 slots of width 2; image 1 alone holds 3 tokens
        var whole = Tensor.Randn(new Generator(4), [3, 5, 2]);
        var alone = new BatchNoise(new Generator(4), 1, 3, slots: 5).Normal([1, 3, 2]);
        Assert.Equal(whole.Data.Slice(10, 6).ToArray(), alone.Data.ToArray());
        var gumbel = Tensor.RandGumbel(new Generator(4), 3, 5);
        Assert.Equal(gumbel.Data.Slice(5, 4).ToArray(), new BatchNoise(new Generator(4), 1, 3, slots: 5).Gumbel([1, 4]).Data.ToArray());
        // slots alone (no row share): the whole batch's rows, each cut to its first slots
        var cut = new BatchNoise(new Generator(4), slots: 5).Normal([3, 2, 2]);
        for (int row = 0; row < 3; row++) Assert.Equal(whole.Data.Slice(row * 10, 4).ToArray(), cut.Data.Slice(row * 4, 4).ToArray());
        Assert.Throws<ArgumentException>(() => new BatchNoise(new Generator(4), 1, 3, slots: 5).Normal([1, 6, 2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNoise(new Generator(4), slots: 0));
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
