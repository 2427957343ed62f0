using System.Globalization;

namespace DiffPrune.Reporting.Plots;

/// <summary>An opaque 8-bit RGB colour for raster plots.</summary>
public readonly record struct PlotColor(byte R, byte G, byte B)
{
    /// <summary>White.</summary>
    public static PlotColor White { get; } = new(255, 255, 255);

    /// <summary>Black.</summary>
    public static PlotColor Black { get; } = new(0, 0, 0);

    /// <summary>The series colours: matplotlib's tab10, then black and a dark plum, twelve that are told apart on white.</summary>
    public static IReadOnlyList<PlotColor> Palette { get; } =
        new[] { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#000000", "#7b4173" }
            .Select(Parse).ToArray();

    /// <summary>A gray of the given level (0 black, 255 white).</summary>
    public static PlotColor Gray(byte level) => new(level, level, level);

    /// <summary>Parses <c>#rrggbb</c>.</summary>
    /// <exception cref="FormatException">Not of the form <c>#rrggbb</c>.</exception>
    public static PlotColor Parse(string hex)
    {
        if (hex.Length != 7 || hex[0] != '#' || !uint.TryParse(hex.AsSpan(1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint v))
            throw new FormatException($"'{hex}' is not a colour of the form #rrggbb");
        return new((byte)(v >> 16), (byte)(v >> 8), (byte)v);
    }

    /// <summary>The colour as <c>#rrggbb</c>.</summary>
    public string ToHex() => $"#{R:x2}{G:x2}{B:x2}";

    /// <summary>The colour <paramref name="t"/> of the way from <paramref name="a"/> to <paramref name="b"/> (t clamped to [0, 1]).</summary>
    public static PlotColor Lerp(PlotColor a, PlotColor b, double t)
    {
        t = Math.Clamp(t, 0, 1);
        byte Mix(byte x, byte y) => (byte)Math.Round(x + (y - x) * t);
        return new(Mix(a.R, b.R), Mix(a.G, b.G), Mix(a.B, b.B));
    }
}
