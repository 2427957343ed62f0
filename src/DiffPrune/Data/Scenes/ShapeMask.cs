using System.Collections.Concurrent;

namespace DiffPrune.Data.Scenes;

/// <summary>
/// Pixel masks of the shapes, by integer arithmetic only (identical on every machine). Pixel (x, y) of a box of side
/// s is tested at its centre in doubled coordinates u = 2x + 1 − s, v = 2y + 1 − s (odd integers in −(s−1)..s−1),
/// so the box edge is at ±s and no test touches floating point.
/// </summary>
internal static class ShapeMask
{
    static readonly ConcurrentDictionary<(SceneShape, int), bool[]> Cache = new();

    /// <summary>Row-major mask of <paramref name="shape"/> in an <paramref name="side"/>×<paramref name="side"/> box (cached; do not modify).</summary>
    public static bool[] Get(SceneShape shape, int side) => Cache.GetOrAdd((shape, side), key => Build(key.Item1, key.Item2));

    static bool[] Build(SceneShape shape, int s)
    {
        var mask = new bool[s * s];
        int margin = s / 8;               // squares keep 1/8 of the side free so they read as squares, not as the patch
        int arm = s / 4;                  // cross arms are s/4 wide: thin enough not to look like a disc at 8 px
        for (int y = 0; y < s; y++)
        {
            int v = 2 * y + 1 - s;
            for (int x = 0; x < s; x++)
            {
                int u = 2 * x + 1 - s;
                int r2 = u * u + v * v;
                mask[y * s + x] = shape switch
                {
                    SceneShape.Circle => r2 <= s * s,
                    SceneShape.Square => Math.Abs(u) <= s - 2 * margin && Math.Abs(v) <= s - 2 * margin,
                    SceneShape.Triangle => 2 * Math.Abs(u) <= v + s + 1,
                    SceneShape.Diamond => Math.Abs(u) + Math.Abs(v) <= s,
                    SceneShape.Cross => Math.Abs(u) < arm || Math.Abs(v) < arm,
                    SceneShape.Ring => r2 <= s * s && 4 * r2 > s * s,
                    _ => throw new ArgumentOutOfRangeException(nameof(shape), $"unknown shape {shape}"),
                };
            }
        }
        return mask;
    }
}
