using DiffPrune.Eval;
using DiffPrune.Pruning;

namespace DiffPrune.Tests.Pruning;

public class TokenBudgetTests
{
    [Theory]
    [InlineData(1.0 / 3, 576, 192)]      // the paper's LLaVA budgets as rates
    [InlineData(2.0 / 9, 576, 128)]
    [InlineData(1.0 / 9, 576, 64)]
    [InlineData(1.0 / 9, 144, 16)]
    [InlineData(1.0 / 3, 1000, 333)]     // 333.33 rounds down
    [InlineData(1.0 / 3, 1001, 334)]     // 333.67 rounds up
    [InlineData(0.5, 5, 3)]              // tie 2.5: away from zero (banker's would give 2)
    [InlineData(0.5, 9, 5)]              // tie 4.5: 5 (banker's 4)
    [InlineData(0.5, 7, 4)]              // tie 3.5: 4 either way
    [InlineData(0.25, 10, 3)]            // tie 2.5 → 3
    [InlineData(1.0 / 9, 4, 1)]          // 0.44 rounds to 0: at least 1
    [InlineData(0.01, 1, 1)]
    [InlineData(1.0, 37, 37)]            // at most N
    [InlineData(0.99, 10, 10)]           // 9.9 rounds to N
    public void RateGivesRoundedKBetweenOneAndN(double rate, int tokens, int keep)
    {
        Assert.Equal(keep, TokenBudget.FromRate(rate, tokens));
        Assert.Equal(keep, BudgetFractions.KeepPerImage(rate, [tokens])[0]);
    }

    [Fact]
    public void EachImageGetsItsOwnKAndTheFixedNFractionAgrees()
    {
        // Qwen2.5-VL-like token counts at 88.9 % pruning
        Assert.Equal([120, 144, 111, 1], TokenBudget.FromRate(1.0 / 9, [1080, 1296, 999, 3]));
        var budget = RaggedBudget.FromRate(1.0 / 3, [9, 4, 7]);
        Assert.Equal([9, 4, 7], budget.Lengths);
        Assert.Equal([3, 1, 2], budget.Keep);
        Assert.Equal(9, budget.Slots);
        for (int n = 1; n <= 600; n++)
            foreach (double f in new[] { 1.0 / 3, 2.0 / 9, 1.0 / 9, 0.5, 0.25 })
                Assert.Equal(TokenBudget.FromFraction(f, n), TokenBudget.FromRate(f, n));
    }

    [Fact]
    public void BadRatesAndCountsAreRefusedByName()
    {
        Assert.Contains("kept rate", Assert.Throws<ArgumentOutOfRangeException>(() => TokenBudget.FromRate(0, 10)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenBudget.FromRate(1.5, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenBudget.FromRate(double.NaN, 10));
        Assert.Contains("N = 0", Assert.Throws<ArgumentOutOfRangeException>(() => TokenBudget.FromRate(0.5, [4, 0])).Message);
        Assert.Contains("image 1 keeps K = 5 of N = 4", Assert.Throws<ArgumentException>(() => new RaggedBudget([6, 4], [2, 5]).Check(2, 6)).Message);
        Assert.Contains("N = 7", Assert.Throws<ArgumentException>(() => new RaggedBudget([6, 7], [2, 2]).Check(2, 6)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => RaggedBudget.Uniform(2, 5, 6));
    }

    [Fact]
    public void ValidSlotsMarkEachRowsRealTokens()
    {
        var budget = new RaggedBudget([3, 1], [1, 1]);
        Assert.Equal([true, true, true, true, false, false], budget.ValidSlots(3));
        Assert.Equal([[0, 1, 2], [0]], budget.AllTokens());
        Assert.False(budget.IsDense(3));
        Assert.True(RaggedBudget.Uniform(2, 3, 1).IsDense(3));
    }
}
