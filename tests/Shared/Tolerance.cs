using DiffPrune.Tensors;

namespace DiffPrune.Testing;

/// <summary>
/// The tests' one "close enough": |expected − actual| ≤ atol + rtol·|expected| element by element, in double.
/// An infinite expected value must be matched exactly; NaN never passes. Pass rtol: 0 for a purely absolute bound
/// and atol: 0, rtol: 0 for bit-equal values.
/// </summary>
public static class Tolerance
{
    /// <summary>Asserts every element is close, naming <paramref name="what"/> and the first element that is not.</summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol = 1e-6, double rtol = 1e-6, string what = "values")
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} elements, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsInfinity(expected[i]))
            {
                Assert.True(expected[i] == actual[i], $"{what} element {i}: expected {expected[i]}, got {actual[i]}");
                continue;
            }
            double diff = Math.Abs((double)expected[i] - actual[i]), allowed = atol + rtol * Math.Abs(expected[i]);
            Assert.True(diff <= allowed, $"{what} element {i}: expected {expected[i]:G9}, got {actual[i]:G9} (diff {diff:G3}, allowed {allowed:G3})");
        }
    }

    /// <summary>Asserts every element of <paramref name="actual"/> is close to <paramref name="expected"/>.</summary>
    public static void AssertClose(ReadOnlySpan<float> expected, Tensor actual, double atol = 1e-6, double rtol = 1e-6) =>
        AssertClose(expected, actual.Data, atol, rtol, actual.Describe());

    /// <summary>Asserts equal shapes and every element close.</summary>
    public static void AssertClose(Tensor expected, Tensor actual, double atol = 1e-6, double rtol = 1e-6)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        AssertClose(expected.Data, actual.Data, atol, rtol, actual.Describe());
    }
}
