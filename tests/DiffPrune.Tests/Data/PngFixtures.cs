using DiffPrune.Data.Images;

namespace DiffPrune.Tests.Data;

/// <summary>
/// The PNG files in Data/Fixtures, written by ImageMagick and netpbm (tools/make_png_fixtures.sh), each with its pixels
/// as those tools decode them (NAME.rgba) and a manifest line read from the file by an independent parser.
/// </summary>
public static class PngFixtures
{
    /// <summary>The fixture folder in the test output.</summary>
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "Data", "Fixtures");

    /// <summary>One manifest line: the header fields and the set of row filters the file uses.</summary>
    public sealed record Entry(string Name, int Width, int Height, int BitDepth, int ColorType, bool Interlaced, int[] Filters)
    {
        /// <summary>Full path of NAME.png.</summary>
        public string PngPath => Path.Combine(Directory, Name + ".png");

        /// <summary>The expected straight RGBA pixels.</summary>
        public byte[] ExpectedRgba => File.ReadAllBytes(Path.Combine(Directory, Name + ".rgba"));

        /// <summary>Whether the file carries transparency (alpha channel or tRNS).</summary>
        public bool HasAlpha => ColorType is 4 or 6 || Name.Contains("_trns", StringComparison.Ordinal);

        /// <inheritdoc/>
        public override string ToString() => Name;
    }

    /// <summary>Every manifest line.</summary>
    public static IReadOnlyList<Entry> All { get; } = File.ReadLines(Path.Combine(Directory, "manifest.tsv"))
        .Where(l => !l.StartsWith('#') && l.Length > 0)
        .Select(l => l.Split('\t'))
        .Select(f => new Entry(f[0], int.Parse(f[1]), int.Parse(f[2]), int.Parse(f[3]), int.Parse(f[4]), f[5] == "1",
            f[6].Split(',').Select(int.Parse).ToArray()))
        .ToList();

    /// <summary>Fixture names for a theory.</summary>
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var e in All) data.Add(e.Name);
        return data;
    }

    /// <summary>The manifest line of <paramref name="name"/>.</summary>
    public static Entry Get(string name) => All.Single(e => e.Name == name);

    /// <summary>The bytes of NAME.png.</summary>
    public static byte[] Bytes(string name) => File.ReadAllBytes(Get(name).PngPath);

    /// <summary>The first index where two buffers differ, with pixel coordinates, or null when equal.</summary>
    public static string? FirstDifference(byte[] expected, byte[] actual, int width, int channels)
    {
        if (expected.Length != actual.Length) return $"lengths differ: expected {expected.Length}, got {actual.Length}";
        for (int i = 0; i < expected.Length; i++)
            if (expected[i] != actual[i])
                return $"pixel ({i / channels % width}, {i / channels / width}) channel {i % channels}: expected {expected[i]}, got {actual[i]}";
        return null;
    }

    /// <summary>Decoded RGBA of <paramref name="name"/> (convenience).</summary>
    public static RgbaImage Decode(string name) => PngDecoder.DecodeRgba(Get(name).PngPath);
}
