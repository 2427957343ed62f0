using Xunit.Abstractions;

namespace DiffPrune.Tensors.Tests.Golden;

/// <summary>
/// The outcome of comparing one engine tensor with its reference. The criterion is relative to the tensor's
/// scale: max |actual − expected| ≤ tolerance · max(1, max |expected|). One scale per tensor (not per element)
/// keeps near-zero entries that come from cancellation (a bias gradient summed over rows) from failing on
/// rounding noise, while a tensor of size ~1 is held to the absolute tolerance.
/// </summary>
public sealed record Comparison(string What, double MaxAbsDiff, double Scale, double Tolerance, string Worst)
{
    /// <summary>The largest difference allowed.</summary>
    public double Allowed => Tolerance * Scale;

    /// <summary>Within tolerance (NaN or a missing tensor never pass).</summary>
    public bool Passed => MaxAbsDiff <= Allowed;

    /// <inheritdoc/>
    public override string ToString() =>
        $"{(Passed ? "ok  " : "FAIL")} {What}: max |diff| {MaxAbsDiff:E2} (allowed {Allowed:E2} = {Tolerance:E0}·{Scale:G4}){Worst}";
}

/// <summary>Compares engine tensors with golden tensors and reports every difference.</summary>
public static class GoldenCompare
{
    /// <summary>
    /// Compares <paramref name="actual"/> (e.g. a parameter's gradient, null when none flowed) with
    /// <paramref name="expected"/>. Shapes must agree exactly; a NaN or infinity in the engine's values gives an
    /// infinite difference.
    /// </summary>
    public static Comparison Compare(string what, Tensor? actual, GoldenTensor expected, double tolerance)
    {
        double scale = Math.Max(1.0, expected.Data.Length == 0 ? 0 : expected.Data.Max(v => Math.Abs((double)v)));
        if (actual == null)
            return new Comparison(what, double.PositiveInfinity, scale, tolerance, $" (no tensor: nothing flowed into it; want {expected.Describe()})");
        if (!ShapeUtil.Same(actual.Shape, expected.Shape))
            return new Comparison(what, double.PositiveInfinity, scale, tolerance, $" (shape {ShapeUtil.Format(actual.Shape)}, want {expected.Describe()})");
        var a = actual.Data;
        double worst = 0;
        int at = -1;
        for (int i = 0; i < a.Length; i++)
        {
            double d = float.IsFinite(a[i]) ? Math.Abs((double)a[i] - expected.Data[i]) : double.PositiveInfinity;
            if (d > worst || at < 0) { worst = d; at = i; }
        }
        string where = at < 0 ? "" : $" at {FormatIndex(expected.Shape, at)}: got {a[at]:G7}, want {expected.Data[at]:G7}";
        return new Comparison(what, worst, scale, tolerance, where);
    }

    /// <summary>Logs every comparison, then fails listing those out of tolerance.</summary>
    public static void AssertAll(IReadOnlyList<Comparison> comparisons, ITestOutputHelper? log = null)
    {
        Assert.NotEmpty(comparisons);
        foreach (var c in comparisons) log?.WriteLine(c.ToString());
        var failed = comparisons.Where(c => !c.Passed).ToList();
        Assert.True(failed.Count == 0,
            $"{failed.Count} of {comparisons.Count} tensors differ from the PyTorch reference:\n" + string.Join("\n", failed));
    }

    /// <summary>"worst 3.3E-006 (grad.x), tightest 7% of allowed (grad.mlp.fc1.bias) over 18 tensors".</summary>
    public static string Summary(IReadOnlyList<Comparison> comparisons)
    {
        var worst = comparisons.MaxBy(c => c.MaxAbsDiff)!;
        var tightest = comparisons.MaxBy(c => c.MaxAbsDiff / c.Allowed)!;
        return $"worst {worst.MaxAbsDiff:E2} ({worst.What}), tightest {100 * tightest.MaxAbsDiff / tightest.Allowed:F0}% of allowed ({tightest.What}) over {comparisons.Count} tensors";
    }

    /// <summary>Flat row-major index → "[i, j, k]".</summary>
    static string FormatIndex(int[] shape, int flat)
    {
        var idx = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--) { idx[d] = flat % shape[d]; flat /= shape[d]; }
        return ShapeUtil.Format(idx);
    }
}
