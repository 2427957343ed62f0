using DiffPrune.Data.Images;

namespace DiffPrune.Tests.Data;

/// <summary>Our decoder against PNGs written by ImageMagick and netpbm, pixel by pixel (see <see cref="PngFixtures"/>).</summary>
public class PngDecoderFixtureTests
{
    [Theory]
    [MemberData(nameof(PngFixtures.Names), MemberType = typeof(PngFixtures))]
    public void DecodesEveryPixelAsTheOutsideToolsDo(string name)
    {
        var entry = PngFixtures.Get(name);
        var image = PngDecoder.DecodeRgba(entry.PngPath);
        Assert.Equal((entry.Width, entry.Height), (image.Width, image.Height));
        Assert.Equal(entry.HasAlpha, image.HasAlpha);
        Assert.Null(PngFixtures.FirstDifference(entry.ExpectedRgba, image.Rgba, entry.Width, 4));
    }

    [Theory]
    [MemberData(nameof(PngFixtures.Names), MemberType = typeof(PngFixtures))]
    public void HeaderAndRowFiltersMatchTheManifest(string name)
    {
        var entry = PngFixtures.Get(name);
        var header = PngDecoder.ReadHeader(entry.PngPath);
        Assert.Equal(new PngHeader(entry.Width, entry.Height, entry.BitDepth, (PngColorType)entry.ColorType, entry.Interlaced), header);
        var counts = PngDecoder.FilterTypeCounts(PngFixtures.Bytes(name), name);
        Assert.Equal(entry.Filters, Enumerable.Range(0, 5).Where(t => counts[t] > 0).ToArray());
    }

    [Theory]
    [MemberData(nameof(PngFixtures.Names), MemberType = typeof(PngFixtures))]
    public void RgbIsCompositedOverWhiteAndKeepsAlpha(string name)
    {
        var entry = PngFixtures.Get(name);
        var rgba = entry.ExpectedRgba;
        var image = PngDecoder.Decode(entry.PngPath);
        int n = entry.Width * entry.Height;
        var expected = new byte[n * 3];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                expected[3 * i + c] = (byte)Math.Floor((rgba[4 * i + c] * rgba[4 * i + 3] + 255.0 * (255 - rgba[4 * i + 3])) / 255 + 0.5);
        Assert.Null(PngFixtures.FirstDifference(expected, image.Rgb, entry.Width, 3));
        if (entry.HasAlpha)
            Assert.Equal(Enumerable.Range(0, n).Select(i => rgba[4 * i + 3]).ToArray(), image.Alpha);
        else
            Assert.Null(image.Alpha);
    }

    [Theory]
    [InlineData("rgb8_filter4", 1)]
    [InlineData("rgba8_interlaced", 7)]
    [InlineData("palette4_trns", 3)]
    [InlineData("rgb16_filter3", 2)]
    public void ImageDataSplitAcrossManyIdatChunksDecodesTheSame(string name, int chunkSize)
    {
        var split = PngChunks.SplitIdat(PngFixtures.Bytes(name), chunkSize);
        Assert.True(PngDecoder.ChunkList(split, name).Count(c => c.Type == "IDAT") > 10);
        var entry = PngFixtures.Get(name);
        Assert.Null(PngFixtures.FirstDifference(entry.ExpectedRgba, PngDecoder.DecodeRgba(split, name).Rgba, entry.Width, 4));
    }

    [Fact]
    public void FixturesCoverEveryColourTypeBitDepthFilterAndInterlace()
    {
        var all = PngFixtures.All;
        var pairs = all.Select(e => (e.ColorType, e.BitDepth)).ToHashSet();
        (int, int)[] valid = [(0, 1), (0, 2), (0, 4), (0, 8), (0, 16), (2, 8), (2, 16), (3, 1), (3, 2), (3, 4), (3, 8), (4, 8), (4, 16), (6, 8), (6, 16)];
        Assert.All(valid, p => Assert.Contains(p, pairs));
        foreach (int colorType in new[] { 0, 2, 4, 6 }) // every filter forced alone, for 1-, 2-, 3-, 4- and 6-byte pixels
            for (int f = 0; f < 5; f++)
                Assert.Contains(all, e => e.ColorType == colorType && e.Filters.SequenceEqual([f]));
        Assert.Contains(all, e => e.BitDepth == 16 && e.Filters.SequenceEqual([4]));
        Assert.Contains(all, e => e.Interlaced && e.ColorType == 6);
        Assert.Contains(all, e => e.Interlaced && e.BitDepth < 8);
        Assert.Contains(all, e => e.Interlaced && e.Width < 5); // Adam7 with empty passes
        Assert.Contains(all, e => e.Name == "gray8_trns");
        Assert.Contains(all, e => e.Name == "rgb8_trns");
        Assert.Contains(all, e => e.Name == "palette8_trns");
    }

    [Fact]
    public void PaletteTransparencyShorterThanThePaletteLeavesLaterEntriesOpaque()
    {
        // pnmtopng sorts translucent entries first and writes a tRNS only as long as needed
        var png = PngFixtures.Bytes("palette8_trns");
        var chunks = PngChunks.Split(png);
        int entries = chunks.Single(c => c.Type == "PLTE").Data.Length / 3, alphas = chunks.Single(c => c.Type == "tRNS").Data.Length;
        Assert.True(alphas < entries, $"tRNS has {alphas} entries, PLTE {entries}");
        var image = PngDecoder.DecodeRgba(png, "palette8_trns");
        Assert.Contains((byte)255, image.Rgba.Where((_, i) => i % 4 == 3));
        Assert.Contains((byte)0, image.Rgba.Where((_, i) => i % 4 == 3));
    }

    [Fact]
    public void UnknownAncillaryChunksAreSkippedAndUnknownCriticalChunksRejected()
    {
        var chunks = PngChunks.Split(PngFixtures.Bytes("rgb8"));
        var expected = PngFixtures.Get("rgb8").ExpectedRgba;
        var withAncillary = chunks.Take(1).Append(("zzZz", new byte[] { 1, 2, 3 })).Concat(chunks.Skip(1)).ToList();
        Assert.Equal(expected, PngDecoder.DecodeRgba(PngChunks.Join(withAncillary), "ancillary.png").Rgba);
        var withCritical = chunks.Take(1).Append(("ZZZZ", new byte[] { 1 })).Concat(chunks.Skip(1)).ToList();
        var e = Assert.Throws<InvalidDataException>(() => PngDecoder.DecodeRgba(PngChunks.Join(withCritical), "critical.png"));
        Assert.StartsWith("critical.png: unknown critical chunk ZZZZ", e.Message);
    }
}
