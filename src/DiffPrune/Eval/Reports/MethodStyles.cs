using DiffPrune.Pruning.Baselines;
using DiffPrune.Reporting.Plots;

namespace DiffPrune.Eval.Reports;

/// <summary>
/// One colour and one marker per method, fixed by name, so that a method looks the same in every chart and no two
/// share both: DiffPrune first, then the registry in its order (<see cref="PruningMethods.Names"/>, Vanilla last), each taking the
/// next colour of <see cref="PlotColor.Palette"/> and the next <see cref="MarkerShape"/>. A name outside the registry
/// (an ablation variant) takes the styles after them, in the order given.
/// </summary>
public static class MethodStyles
{
    /// <summary>The methods with a fixed style, in style order.</summary>
    public static IReadOnlyList<string> Known { get; } =
        [MethodSelection.DiffPruneName, .. PruningMethods.Names.Where(n => n != Vanilla), .. PruningMethods.Names.Where(n => n == Vanilla)];

    // Vanilla is the upper bound, never a series of its own: last, so that the drawn methods take the first colours and markers.
    const string Vanilla = "Vanilla";

    /// <summary>The colour and marker of <paramref name="method"/> (any case); <paramref name="extra"/> numbers a name
    /// outside <see cref="Known"/> among the others of its chart (0 for the first).</summary>
    public static (PlotColor Color, MarkerShape Marker) Of(string method, int extra = 0)
    {
        int i = Known.ToList().FindIndex(k => k.Equals(method, StringComparison.OrdinalIgnoreCase));
        return At(i >= 0 ? i : Known.Count + extra);
    }

    // Index i gets colour i mod 12 and marker (i + ⌊i / 12⌋) mod 11: two indices of one colour differ by 12·d with
    // 0 < d < 11, their markers by 13·d ≡ 2·d (mod 11) ≠ 0, so the first 132 styles are distinct pairs.
    static (PlotColor, MarkerShape) At(int i) =>
        (PlotColor.Palette[i % PlotColor.Palette.Count], MarkerShapes.All[(i + i / PlotColor.Palette.Count) % MarkerShapes.All.Count]);
}
