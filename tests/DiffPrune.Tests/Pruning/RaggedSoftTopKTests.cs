using DiffPrune.Pruning;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Pruning;

/// <summary>Soft and hard top-K of a padded batch whose rows hold different numbers of tokens and keep different K.</summary>
public class RaggedSoftTopKTests
{
    // three images of 9, 4 and 7 tokens in rows of 9 slots, keeping 3, 1 and 5 (the padding holds large junk logits)
    static readonly int[] Lengths = [9, 4, 7];
    static readonly double[] Keep = [3, 1, 5];
    const int Slots = 9;

    static Tensor PaddedLogits(ulong seed, float junk = 50f)
    {
        var s = Tensor.Randn(new Generator(seed), [Lengths.Length, Slots]);
        for (int r = 0; r < Lengths.Length; r++)
            for (int i = Lengths[r]; i < Slots; i++) s.Data[r * Slots + i] = junk + i;
        return s;
    }

    static Tensor Row(Tensor padded, int r) => padded.Detach().Slice(0, r, r + 1).Slice(1, 0, Lengths[r]).Clone().RequireGrad();

    [Theory]
    [InlineData(0.3)]
    [InlineData(1.0)]
    [InlineData(4.0)]
    public void EachRowIsTheScalarSoftTopKOfThatRowAloneAndPaddingGetsZeroAlphaAndNoGradient(double tau)
    {
        var s = PaddedLogits(3).RequireGrad();
        var g = Tensor.Randn(new Generator(4), [Lengths.Length, Slots]);
        var alpha = SoftTopK.Forward(s, Lengths, Keep, tau);
        alpha.Backward(g);
        for (int r = 0; r < Lengths.Length; r++)
        {
            var row = Row(s, r);
            var alone = SoftTopK.Forward(row, Keep[r], tau);
            alone.Backward(g.Slice(0, r, r + 1).Slice(1, 0, Lengths[r]));
            var a = alpha.Data.Slice(r * Slots, Slots).ToArray();
            var grad = s.Grad!.Data.Slice(r * Slots, Slots).ToArray();
            // the same computation on the same numbers: bit for bit
            Assert.Equal(alone.ToArray(), a[..Lengths[r]]);
            Assert.Equal(row.Grad!.ToArray(), grad[..Lengths[r]]);
            Assert.Equal(Keep[r], a.Sum(v => (double)v), 4);
            Assert.All(a[Lengths[r]..], v => Assert.Equal(0f, v));
            Assert.All(grad[Lengths[r]..], v => Assert.Equal(0f, v));
        }
    }

    [Fact]
    public void TheScalarBudgetIsTheRaggedOneWithEveryRowFullBitForBit()
    {
        var s = Tensor.Randn(new Generator(5), [4, 11]).RequireGrad();
        var twin = s.Detach().Clone().RequireGrad();
        var g = Tensor.Randn(new Generator(6), [4, 11]);
        var scalar = SoftTopK.Margins(s, 3, 0.7);
        var ragged = SoftTopK.Margins(twin, [11, 11, 11, 11], [3.0, 3, 3, 3], 0.7);
        scalar.Backward(g);
        ragged.Backward(g);
        Assert.Equal(scalar.ToArray(), ragged.ToArray());
        Assert.Equal(s.Grad!.ToArray(), twin.Grad!.ToArray());
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(2.0)]
    public void BackwardMatchesFiniteDifferences(double tau)
    {
        var s = PaddedLogits(7, junk: 0.3f).RequireGrad();
        GradCheck.Check(x => SoftTopK.Forward(x[0], Lengths, Keep, tau), [s], h: 1e-2, atol: 2e-3, rtol: 3e-2);
        GradCheck.Check(x => RealSlots(SoftTopK.Margins(x[0], Lengths, [2.5, 1.5, 3], tau)), [s], h: 1e-2, atol: 2e-3, rtol: 3e-2);
    }

    // margins are −∞ at padded slots: only the real ones enter a loss
    static Tensor RealSlots(Tensor m) =>
        Tensor.Cat(Enumerable.Range(0, Lengths.Length).Select(r => m.Slice(0, r, r + 1).Slice(1, 0, Lengths[r]).Reshape(-1)).ToArray(), 0);

    [Fact]
    public void ARowThatKeepsAllItsTokensHasAlphaOneAndNoGradient()
    {
        var s = PaddedLogits(8).RequireGrad();
        var alpha = SoftTopK.Forward(s, Lengths, [3, 4, 5], 0.5);
        alpha.Mul(Tensor.Randn(new Generator(9), [3, Slots])).Sum().Backward();
        for (int i = 0; i < Slots; i++) Assert.Equal(i < 4 ? 1f : 0f, alpha.Data[Slots + i]);
        Assert.All(s.Grad!.Data.Slice(Slots, Slots).ToArray(), v => Assert.Equal(0f, v));
        Assert.Contains(s.Grad!.Data.Slice(0, Slots).ToArray(), v => Math.Abs(v) > 1e-4f);
    }

    [Fact]
    public void PaddedSlotsMayHoldAnythingButTheRealTokensMustBeFinite()
    {
        var s = PaddedLogits(10);
        s.Data[Slots + 6] = float.NaN;      // padding of row 1
        var alpha = SoftTopK.Forward(s, Lengths, Keep, 1.0).ToArray();
        Assert.All(alpha, v => Assert.True(float.IsFinite(v)));
        s.Data[Slots + 2] = float.NaN;      // a real token of row 1
        Assert.Contains("row 1", Assert.Throws<NonFiniteValueException>(() => SoftTopK.Forward(s, Lengths, Keep, 1.0)).Message);
    }

    [Fact]
    public void BadLengthsAndBudgetsAreRefusedByName()
    {
        var s = Tensor.Zeros(2, 5);
        Assert.Contains("N = 6", Assert.Throws<ArgumentException>(() => SoftTopK.Forward(s, [5, 6], [1.0, 1], 1)).Message);
        Assert.Contains("N = 0", Assert.Throws<ArgumentException>(() => SoftTopK.Forward(s, [5, 0], [1.0, 1], 1)).Message);
        Assert.Contains("K = 4, N = 3", Assert.Throws<ArgumentOutOfRangeException>(() => SoftTopK.Forward(s, [5, 3], [1.0, 4], 1)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftTopK.Forward(s, [5, 3], [0.0, 1], 1));
        Assert.Contains("2 rows", Assert.Throws<ArgumentException>(() => SoftTopK.Forward(s, [5], [1.0], 1)).Message);
        Assert.Throws<ArgumentException>(() => SoftTopK.Forward(Tensor.Zeros(2, 2, 5), [5, 5], [1.0, 1], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftTopK.Forward(s, [5, 3], [1.0, 1], 0));
    }

    [Fact]
    public void HardTopKKeepsEachRowsOwnKAmongItsRealTokensInOriginalOrder()
    {
        var s = Tensor.FromArray([
            5, 1, 4, 2, 3, 0,
            0, 9, 8, 99, 99, 99,      // 3 real tokens; the padding's 99s must never be chosen
            1, 1, 2, 0, 9, 9,         // 4 real tokens, a tie at the top-2 boundary goes to the lower index
        ], 3, 6);
        var budget = new RaggedBudget([6, 3, 4], [3, 1, 2]);
        var kept = HardTopK.Indices(s, budget);
        Assert.Equal([0, 2, 4], kept[0]);
        Assert.Equal([1], kept[1]);
        Assert.Equal([0, 2], kept[2]);
        // each row as the scalar top-K of that row alone
        for (int r = 0; r < 3; r++)
            Assert.Equal(HardTopK.Indices(s.Slice(0, r, r + 1).Slice(1, 0, budget.Lengths[r]), budget.Keep[r])[0], kept[r]);
        var mask = HardTopK.Mask(s, budget).ToArray();
        Assert.Equal([1f, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0], mask);
        Assert.Contains("K = 4 of N = 3", Assert.Throws<ArgumentException>(() => HardTopK.Indices(s, new RaggedBudget([6, 3, 4], [3, 4, 2]))).Message);
        Assert.Contains("N = 7", Assert.Throws<ArgumentException>(() => HardTopK.Indices(s, new RaggedBudget([6, 7, 4], [3, 1, 2]))).Message);
        Assert.Contains("batch of 3", Assert.Throws<ArgumentException>(() => HardTopK.Indices(s, new RaggedBudget([6, 3], [3, 1]))).Message);
    }
}
