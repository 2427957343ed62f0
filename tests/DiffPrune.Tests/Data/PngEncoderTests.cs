using DiffPrune.Data.Images;

namespace DiffPrune.Tests.Data;

/// <summary>
/// Encoder round trips through our decoder. (That outside decoders read our files the same way is checked by
/// tools/make_png_fixtures.sh with ImageMagick and Pillow, not here.)
/// </summary>
public class PngEncoderTests
{
    static readonly PngFilterStrategy[] Strategies = Enum.GetValues<PngFilterStrategy>();

    static byte[] RandomBytes(Random rng, int n, bool smooth)
    {
        var b = new byte[n];
        if (smooth)
            for (int i = 0; i < n; i++) b[i] = (byte)(i * 3 / 7 + rng.Next(3));
        else
            rng.NextBytes(b);
        return b;
    }

    [Fact]
    public void RgbRoundTripsForEverySizeFrom1x1To17x13()
    {
        var rng = new Random(11);
        for (int h = 1; h <= 13; h++)
            for (int w = 1; w <= 17; w++)
            {
                var image = new RgbImage(w, h, RandomBytes(rng, w * h * 3, smooth: (w + h) % 2 == 0));
                var filter = Strategies[(w * 13 + h) % Strategies.Length];
                var decoded = PngDecoder.Decode(PngEncoder.Encode(image, filter), $"{w}x{h}");
                Assert.Equal((w, h), (decoded.Width, decoded.Height));
                Assert.Null(decoded.Alpha);
                Assert.True(image.Rgb.AsSpan().SequenceEqual(decoded.Rgb), $"{w}x{h} with {filter} differs");
            }
    }

    [Fact]
    public void RgbaAndGrayRoundTripForEverySizeFrom1x1To17x13()
    {
        var rng = new Random(12);
        for (int h = 1; h <= 13; h++)
            for (int w = 1; w <= 17; w++)
            {
                var filter = Strategies[(w + h * 5) % Strategies.Length];
                var rgba = new RgbaImage(w, h, RandomBytes(rng, w * h * 4, smooth: w % 2 == 0), hasAlpha: true);
                var back = PngDecoder.DecodeRgba(PngEncoder.Encode(rgba, filter), $"{w}x{h} rgba");
                Assert.True(back.HasAlpha);
                Assert.True(rgba.Rgba.AsSpan().SequenceEqual(back.Rgba), $"RGBA {w}x{h} with {filter} differs");

                var gray = RandomBytes(rng, w * h, smooth: h % 2 == 0);
                var g = PngDecoder.DecodeRgba(PngEncoder.EncodeGray(w, h, gray, filter), $"{w}x{h} gray");
                Assert.False(g.HasAlpha);
                for (int i = 0; i < w * h; i++)
                    Assert.True(g.Rgba[4 * i] == gray[i] && g.Rgba[4 * i + 1] == gray[i] && g.Rgba[4 * i + 2] == gray[i] && g.Rgba[4 * i + 3] == 255,
                        $"gray {w}x{h} with {filter} differs at {i}");
            }
    }

    [Theory]
    [InlineData(PngFilterStrategy.None)]
    [InlineData(PngFilterStrategy.Sub)]
    [InlineData(PngFilterStrategy.Up)]
    [InlineData(PngFilterStrategy.Average)]
    [InlineData(PngFilterStrategy.Paeth)]
    public void AForcedFilterIsUsedOnEveryRow(PngFilterStrategy filter)
    {
        var image = new RgbImage(9, 6, RandomBytes(new Random(3), 9 * 6 * 3, smooth: false));
        var counts = PngDecoder.FilterTypeCounts(PngEncoder.Encode(image, filter), filter.ToString());
        Assert.Equal(6, counts[(int)filter]);
        Assert.Equal(6, counts.Sum());
    }

    [Fact]
    public void AdaptiveFilteringPicksPerRowAndBeatsNoFilterOnSmoothImages()
    {
        // rows alternate between a horizontal ramp (Sub wins) and a copy of the row above (Up wins)
        int w = 64, h = 16;
        var rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++)
                    rgb[(y * w + x) * 3 + c] = y % 2 == 0 ? (byte)(x * 3 + y * 11 + c * 40) : rgb[((y - 1) * w + x) * 3 + c];
        var image = new RgbImage(w, h, rgb);
        var adaptive = PngEncoder.Encode(image);
        var counts = PngDecoder.FilterTypeCounts(adaptive, "adaptive");
        Assert.True(counts.Count(c => c > 0) >= 2, $"adaptive used only filters {string.Join(",", counts)}");
        Assert.True(adaptive.Length < PngEncoder.Encode(image, PngFilterStrategy.None).Length);
        Assert.Equal(rgb, PngDecoder.Decode(adaptive, "adaptive").Rgb);
    }

    [Fact]
    public void OutputHasOnlyTheCriticalChunksAndTheRightColourType()
    {
        var rgb = RgbImage.Filled(3, 2, 10, 20, 30);
        var withAlpha = new RgbImage(3, 2, (byte[])rgb.Rgb.Clone(), [0, 50, 100, 150, 200, 255]);
        Assert.Equal(["IHDR", "IDAT", "IEND"], PngDecoder.ChunkList(PngEncoder.Encode(rgb), "x").Select(c => c.Type));
        Assert.Equal(PngColorType.Rgb, Header(PngEncoder.Encode(withAlpha)).ColorType); // RgbImage: colours only
        var rgba = RgbaImage.FromRgb(withAlpha);
        Assert.Equal(PngColorType.Rgba, Header(PngEncoder.Encode(rgba)).ColorType);
        Assert.Equal(PngColorType.Rgb, Header(PngEncoder.Encode(RgbaImage.FromRgb(rgb))).ColorType);
        Assert.Equal(PngColorType.Gray, Header(PngEncoder.EncodeGray(2, 2, new byte[4])).ColorType);
        Assert.Equal(new byte[] { 0, 50, 100, 150, 200, 255 }, PngDecoder.Decode(PngEncoder.Encode(rgba), "x").Alpha);
    }

    static PngHeader Header(byte[] png)
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("h.png"), png);
        return PngDecoder.ReadHeader(dir.File("h.png"));
    }

    [Fact]
    public void SaveWritesAtomicallyAndOverwrites()
    {
        using var dir = new TempDirectory();
        string path = dir.File("out.png");
        File.WriteAllText(path, "old contents");
        var image = RgbImage.Filled(5, 4, 1, 2, 3);
        PngEncoder.Save(image, path);
        Assert.Equal(image.Rgb, PngDecoder.Decode(path).Rgb);
        PngEncoder.SaveGray(2, 1, [7, 9], path, PngFilterStrategy.Paeth);
        Assert.Equal(new byte[] { 7, 7, 7, 9, 9, 9 }, PngDecoder.Decode(path).Rgb);
        PngEncoder.Save(new RgbaImage(1, 1, [1, 2, 3, 4], hasAlpha: true), path);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, PngDecoder.DecodeRgba(path).Rgba);
        Assert.Equal(["out.png"], Directory.GetFiles(dir.Path).Select(Path.GetFileName)); // no temporary files left
    }

    [Fact]
    public void SaveIntoAMissingFolderNamesThePathAndLeavesNothing()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "missing", "out.png");
        var e = Assert.Throws<IOException>(() => PngEncoder.Save(RgbImage.Filled(1, 1), path));
        Assert.StartsWith(path + ": cannot write PNG", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => PngEncoder.EncodeGray(2, 2, new byte[3]));
        Assert.Throws<ArgumentException>(() => PngEncoder.EncodeGray(0, 2, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => PngEncoder.Encode(RgbImage.Filled(1, 1), (PngFilterStrategy)9));
    }
}
