namespace DiffPrune.Tensors.Tests.Ops;

/// <summary>Inputs shaped for gradient checks (kept away from kinks and ties) and a finiteness assertion.</summary>
internal static class TestTensors
{
    /// <summary>A random N(0, 1) leaf that requires grad.</summary>
    public static Tensor Leaf(Generator gen, params int[] shape) => GradCheck.Leaf(gen, shape);

    /// <summary>A leaf with values uniform in [low, high) (e.g. positive inputs for log, sqrt, rsqrt, pow).</summary>
    public static Tensor Uniform(Generator gen, float low, float high, params int[] shape) =>
        Tensor.Rand(gen, shape, low, high).RequireGrad();

    /// <summary>
    /// A leaf whose values have |x| ≥ <paramref name="margin"/>: a finite-difference step h &lt; margin never
    /// crosses the kink of relu or abs at 0.
    /// </summary>
    public static Tensor AwayFromZero(Generator gen, float margin, params int[] shape)
    {
        var t = Tensor.Randn(gen, shape);
        var d = t.Data;
        for (int i = 0; i < d.Length; i++) d[i] = d[i] >= 0 ? d[i] + margin : d[i] - margin;
        return t.RequireGrad();
    }

    /// <summary>
    /// A leaf holding a random permutation of −n/2·<paramref name="spacing"/> … : all values distinct and at least
    /// <paramref name="spacing"/> apart, so a finite-difference step below spacing/2 never changes an argmax.
    /// </summary>
    public static Tensor Distinct(Generator gen, float spacing, params int[] shape)
    {
        var t = Tensor.Zeros(shape);
        var perm = gen.Permutation(t.Numel);
        for (int i = 0; i < perm.Length; i++) t.Data[i] = (perm[i] - perm.Length / 2) * spacing;
        return t.RequireGrad();
    }

    /// <summary>Asserts every value is finite (no NaN, no ±inf).</summary>
    public static void Finite(Tensor t)
    {
        var d = t.Data;
        for (int i = 0; i < d.Length; i++)
            Assert.True(float.IsFinite(d[i]), $"element {i} of {t.Describe()} is {d[i]}");
    }
}
