using Xunit.Sdk;

namespace DiffPrune.Tensors.Tests;

/// <summary>The shared "close enough": atol + rtol·|expected|, exact infinities, NaN never close.</summary>
public class ToleranceTests
{
    [Fact]
    public void BoundIsAbsolutePlusRelativeToTheExpectedValue()
    {
        AssertClose([100f, -1f], [100.5f, -1.01f], atol: 0.01, rtol: 0.005);
        Assert.Throws<TrueException>(() => AssertClose([100f], [100.6f], atol: 0.01, rtol: 0.005));
        Assert.Throws<TrueException>(() => AssertClose([0f], [0.02f], atol: 0.01, rtol: 0.5));
        AssertClose([1f, 2f], [1f, 2f], atol: 0, rtol: 0);
        Assert.Throws<TrueException>(() => AssertClose([1f], [BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(1f) + 1)], atol: 0, rtol: 0));
    }

    [Fact]
    public void InfinitiesMustMatchAndNanNeverPasses()
    {
        AssertClose([float.NegativeInfinity], [float.NegativeInfinity], atol: 1);
        Assert.Throws<TrueException>(() => AssertClose([float.PositiveInfinity], [float.MaxValue], atol: 1, rtol: 1));
        Assert.Throws<TrueException>(() => AssertClose([0f], [float.NaN], atol: 1, rtol: 1));
    }

    [Fact]
    public void LengthsAndShapesMustAgreeAndFailuresNameTheElement()
    {
        Assert.Throws<TrueException>(() => AssertClose([1f, 2f], [1f], atol: 1));
        Assert.Throws<EqualException>(() => AssertClose(Tensor.Zeros(2, 3), Tensor.Zeros(3, 2), atol: 1));
        var e = Assert.Throws<TrueException>(() => AssertClose([1f, 2f, 3f], [1f, 2f, 4f], atol: 0.5, rtol: 0, what: "logits"));
        Assert.Contains("logits element 2", e.Message);
    }
}
