namespace DiffPrune.Data.Scenes;

/// <summary>A 5×7 pixel font for the digits 0–9 (the classic dot-matrix shapes), drawn one pixel per dot.</summary>
internal static class DigitFont
{
    /// <summary>Glyph width in pixels.</summary>
    public const int Width = 5;
    /// <summary>Glyph height in pixels.</summary>
    public const int Height = 7;

    static readonly string[][] Rows =
    [
        [".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."],
        ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."],
        [".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"],
        ["#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."],
        ["...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."],
        ["#####", "#....", "####.", "....#", "....#", "#...#", ".###."],
        ["..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."],
        ["#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."],
        [".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."],
        [".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."],
    ];

    /// <summary>Whether dot (<paramref name="x"/>, <paramref name="y"/>) of <paramref name="digit"/> is set.</summary>
    public static bool IsSet(int digit, int x, int y)
    {
        if ((uint)digit > 9) throw new ArgumentOutOfRangeException(nameof(digit), $"digit {digit} is not in 0..9");
        return Rows[digit][y][x] == '#';
    }
}
