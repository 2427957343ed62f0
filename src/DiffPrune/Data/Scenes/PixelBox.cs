namespace DiffPrune.Data.Scenes;

/// <summary>An axis-aligned pixel rectangle: columns <c>X..X+Width−1</c>, rows <c>Y..Y+Height−1</c>.</summary>
public readonly record struct PixelBox(int X, int Y, int Width, int Height)
{
    /// <summary>Whether pixel (<paramref name="x"/>, <paramref name="y"/>) lies inside.</summary>
    public bool Contains(int x, int y) => x >= X && x < X + Width && y >= Y && y < Y + Height;

    /// <summary>Whether the two rectangles share a pixel.</summary>
    public bool Overlaps(PixelBox other) =>
        X < other.X + other.Width && other.X < X + Width && Y < other.Y + other.Height && other.Y < Y + Height;
}
