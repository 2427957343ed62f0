namespace DiffPrune.Reporting.Plots;

/// <summary>The shape of a data-point marker, so that series stay apart where colours are hard to tell (or printed in gray).</summary>
public enum MarkerShape
{
    /// <summary>A filled disc.</summary>
    Circle,
    /// <summary>A filled square.</summary>
    Square,
    /// <summary>A filled triangle pointing up.</summary>
    TriangleUp,
    /// <summary>A filled diamond (a square on its corner).</summary>
    Diamond,
    /// <summary>A filled triangle pointing down.</summary>
    TriangleDown,
    /// <summary>A diagonal cross (×).</summary>
    Cross,
    /// <summary>An upright cross (+).</summary>
    Plus,
    /// <summary>A circle outline.</summary>
    Ring,
    /// <summary>A square outline.</summary>
    HollowSquare,
    /// <summary>A filled triangle pointing left.</summary>
    TriangleLeft,
    /// <summary>A filled triangle pointing right.</summary>
    TriangleRight,
}

/// <summary>Which pixels each <see cref="MarkerShape"/> covers.</summary>
public static class MarkerShapes
{
    /// <summary>Every shape, in the order series take them.</summary>
    public static IReadOnlyList<MarkerShape> All { get; } = Enum.GetValues<MarkerShape>();

    /// <summary>
    /// True when the pixel at offset (<paramref name="dx"/>, <paramref name="dy"/>) from the marker's centre (y down) is
    /// part of a marker of <paramref name="shape"/> that fits in a (2·<paramref name="radius"/> + 1)² box.
    /// </summary>
    public static bool Covers(MarkerShape shape, int dx, int dy, int radius)
    {
        int ax = Math.Abs(dx), ay = Math.Abs(dy), r = radius;
        if (ax > r || ay > r) return false;
        double distance = Math.Sqrt(dx * dx + dy * dy);
        return shape switch
        {
            MarkerShape.Circle => distance <= r + 0.3,
            MarkerShape.Square => ax <= r - 1 && ay <= r - 1,          // one pixel in: a full square looks heavier than the others
            MarkerShape.TriangleUp => 2 * ax <= dy + r,                 // apex at (0, −r), base |dx| ≤ r at dy = r
            MarkerShape.TriangleDown => 2 * ax <= r - dy,
            MarkerShape.Diamond => ax + ay <= r,
            MarkerShape.Cross => Math.Abs(dx - dy) <= 1 || Math.Abs(dx + dy) <= 1,
            MarkerShape.Plus => ax <= 1 || ay <= 1,
            MarkerShape.Ring => distance <= r + 0.3 && distance >= r - 1.7,
            MarkerShape.HollowSquare => Math.Max(ax, ay) >= r - 1,
            MarkerShape.TriangleLeft => 2 * ay <= dx + r,
            MarkerShape.TriangleRight => 2 * ay <= r - dx,
            _ => throw new ArgumentOutOfRangeException(nameof(shape), $"unknown marker shape {shape}"),
        };
    }
}
