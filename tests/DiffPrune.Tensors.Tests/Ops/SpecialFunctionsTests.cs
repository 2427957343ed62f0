namespace DiffPrune.Tensors.Tests.Ops;

/// <summary>erfc against Python's <c>math.erfc</c> (double precision, correctly rounded to ~1 ulp).</summary>
public class SpecialFunctionsTests
{
    public static TheoryData<double, double> ErfcPoints => new()
    {
        // x, math.erfc(x) from Python 3
        { -3, 1.9999779095030015 },
        { -1, 1.842700792949715 },
        { -0.5, 1.5204998778130465 },
        { 0, 1.0 },
        { 1e-3, 0.9988716212090307 },
        { 0.5, 0.4795001221869535 },
        { 1, 0.15729920705028513 },
        { 2, 0.004677734981047265 },
        { 3, 2.2090496998585438e-05 },
        { 5, 1.5374597944280351e-12 },
        { 9, 4.13703174651381e-37 },
    };

    [Theory]
    [MemberData(nameof(ErfcPoints))]
    public void ErfcHasRelativeErrorBelow2e7(double x, double expected)
    {
        double got = SpecialFunctions.Erfc(x);
        double rel = Math.Abs(got - expected) / expected;
        Assert.True(rel < 2e-7, $"erfc({x}) = {got:R}, expected {expected:R} (relative error {rel:G3})");
    }

    [Fact]
    public void ErfIsOddAndComplementsErfc()
    {
        foreach (double x in new[] { 0.1, 0.7, 1.3, 2.5 })
        {
            Assert.Equal(-SpecialFunctions.Erf(x), SpecialFunctions.Erf(-x), 1e-12);
            Assert.Equal(2.0, SpecialFunctions.Erfc(x) + SpecialFunctions.Erfc(-x), 1e-12);
        }
        Assert.Equal(0.0, SpecialFunctions.Erf(0.0), 1e-15);
    }
}
