using DiffPrune.Data.Images;

namespace DiffPrune.Tests.Data;

/// <summary>Broken files: every error is an <see cref="InvalidDataException"/> that names the file and says what is wrong.</summary>
public class PngDecoderErrorTests
{
    static InvalidDataException DecodeFile(TempDirectory dir, string name, byte[] bytes)
    {
        string path = dir.File(name);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => PngDecoder.Decode(path));
        Assert.StartsWith(path + ": ", e.Message);
        return e;
    }

    [Fact]
    public void BadSignatureSaysNotAPngFile()
    {
        using var dir = new TempDirectory();
        Assert.Contains("not a PNG file", DecodeFile(dir, "text.png", "hello, this is text"u8.ToArray()).Message);
        File.WriteAllBytes(dir.File("empty.png"), []);
        Assert.Contains("is empty (0 bytes)", Assert.Throws<InvalidDataException>(() => PngDecoder.Decode(dir.File("empty.png"))).Message);
        Assert.Contains("not a PNG file", Assert.Throws<InvalidDataException>(() => PngDecoder.Decode([], "empty")).Message);
        var jpeg = new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F' };
        Assert.Contains("not a PNG file", DecodeFile(dir, "photo.png", jpeg).Message);
        Assert.Contains("not a PNG file", Assert.Throws<InvalidDataException>(() => PngDecoder.ReadHeader(WriteFile(dir, "h.png", jpeg))).Message);
    }

    static string WriteFile(TempDirectory dir, string name, byte[] bytes)
    {
        File.WriteAllBytes(dir.File(name), bytes);
        return dir.File(name);
    }

    [Theory]
    [InlineData("rgba8_interlaced")]
    [InlineData("palette4_trns")]
    public void EveryTruncationIsReportedAsTruncatedOrNotAPng(string name)
    {
        var png = PngFixtures.Bytes(name);
        for (int length = 0; length < png.Length; length++)
        {
            var e = Assert.Throws<InvalidDataException>(() => PngDecoder.DecodeRgba(png.AsSpan(0, length), name + ".png"));
            Assert.StartsWith(name + ".png: ", e.Message);
            Assert.True(e.Message.Contains("truncated") || (length < 8 && e.Message.Contains("not a PNG file")),
                $"cut at {length} of {png.Length}: {e.Message}");
        }
    }

    [Fact]
    public void TruncatedFileOnDiskNamesTheFileAndTheChunk()
    {
        using var dir = new TempDirectory();
        var png = PngFixtures.Bytes("rgb8_filter2");
        var chunks = PngDecoder.ChunkList(png, "rgb8_filter2");
        int idatStart = 8 + chunks.TakeWhile(c => c.Type != "IDAT").Sum(c => 12 + c.Length);
        var e = DecodeFile(dir, "cut.png", png[..(idatStart + 20)]);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("chunk IDAT", e.Message);
        Assert.Contains("truncated", DecodeFile(dir, "noiend.png", png[..^12]).Message); // whole IEND missing
    }

    [Theory]
    [InlineData("IHDR")]
    [InlineData("PLTE")]
    [InlineData("tRNS")]
    [InlineData("IDAT")]
    [InlineData("IEND")]
    public void CrcMismatchNamesTheChunk(string type)
    {
        using var dir = new TempDirectory();
        var png = PngFixtures.Bytes("palette4_trns");
        var chunks = PngDecoder.ChunkList(png, "palette4_trns");
        int start = 8 + chunks.TakeWhile(c => c.Type != type).Sum(c => 12 + c.Length);
        var broken = (byte[])png.Clone();
        broken[start + 8 + chunks.First(c => c.Type == type).Length / 2] ^= 0x10; // a data byte, or the CRC itself for IEND
        var e = DecodeFile(dir, "crc.png", broken);
        Assert.Contains($"CRC mismatch in chunk {type}", e.Message);
    }

    [Theory]
    [InlineData(0, 3, "unsupported bit depth 3 for color type 0")]
    [InlineData(3, 16, "unsupported bit depth 16 for color type 3")]
    [InlineData(2, 4, "unsupported bit depth 4 for color type 2")]
    [InlineData(6, 1, "unsupported bit depth 1 for color type 6")]
    [InlineData(5, 8, "unsupported PNG color type 5")]
    public void InvalidBitDepthOrColourTypeIsNamed(byte colorType, byte depth, string message)
    {
        using var dir = new TempDirectory();
        var e = DecodeFile(dir, "depth.png", PngChunks.Build(2, 2, depth, colorType, 0, new byte[64]));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void UnknownInterlaceCompressionOrFilterMethodIsNamed()
    {
        using var dir = new TempDirectory();
        Assert.Contains("unsupported interlace method 2", DecodeFile(dir, "i.png", PngChunks.Build(2, 2, 8, 0, 2, new byte[6])).Message);
        var chunks = PngChunks.Split(PngChunks.Build(2, 2, 8, 0, 0, new byte[6]));
        chunks[0].Data[10] = 1;
        Assert.Contains("unsupported compression method 1", DecodeFile(dir, "c.png", PngChunks.Join(chunks)).Message);
        chunks[0].Data[10] = 0;
        chunks[0].Data[11] = 1;
        Assert.Contains("unsupported filter method 1", DecodeFile(dir, "f.png", PngChunks.Join(chunks)).Message);
    }

    [Fact]
    public void StructuralErrorsAreNamed()
    {
        using var dir = new TempDirectory();
        // a row filter type outside 0..4
        var raw = new byte[] { 0, 1, 2, 7, 3, 4 }; // 2x2 gray: row 0 filter 0, row 1 filter 7
        Assert.Contains("row 1 has filter type 7", DecodeFile(dir, "filter.png", PngChunks.Build(2, 2, 8, 0, 0, raw)).Message);
        // image data that inflates to less than the header implies
        Assert.Contains("truncated image data", DecodeFile(dir, "short.png", PngChunks.Build(4, 4, 8, 2, 0, new byte[20])).Message);
        // image data that is not zlib at all
        var chunks = PngChunks.Split(PngChunks.Build(2, 2, 8, 0, 0, new byte[6]));
        chunks[1] = ("IDAT", [0x78, 0x9C, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        Assert.Contains("not a valid zlib stream", DecodeFile(dir, "zlib.png", PngChunks.Join(chunks)).Message);
        // palette image without a palette; and a pixel beyond the palette
        Assert.Contains("no PLTE chunk", DecodeFile(dir, "noplte.png", PngChunks.Build(2, 1, 8, 3, 0, [0, 0, 0])).Message);
        var e = DecodeFile(dir, "index.png", PngChunks.Build(2, 1, 8, 3, 0, [0, 0, 5], [("PLTE", new byte[6])]));
        Assert.Contains("pixel (1, 0) uses palette index 5 but the palette has only 2 entries", e.Message);
        // IHDR missing, wrong size, zero width
        Assert.Contains("the first chunk is IDAT, not IHDR",
            DecodeFile(dir, "first.png", PngChunks.Join([("IDAT", PngChunks.Deflate([0, 0])), ("IEND", [])])).Message);
        Assert.Contains("IHDR chunk has 12 bytes, not 13", DecodeFile(dir, "ihdr.png", PngChunks.Join([("IHDR", new byte[12]), ("IEND", [])])).Message);
        Assert.Contains("invalid image size 0x2", DecodeFile(dir, "zero.png", PngChunks.Build(0, 2, 8, 0, 0, [])).Message);
        File.WriteAllBytes(dir.File("huge.png"), PngChunks.Build(1 << 20, 1 << 20, 8, 0, 0, []));
        Assert.Contains("exceeds", Assert.Throws<DiffPrune.Tensors.ResourceLimitException>(() => PngDecoder.Decode(dir.File("huge.png"))).Message);
        // no image data at all
        var noData = PngChunks.Split(PngChunks.Build(2, 2, 8, 0, 0, new byte[6])).Where(c => c.Type != "IDAT");
        Assert.Contains("no IDAT", DecodeFile(dir, "nodata.png", PngChunks.Join(noData)).Message);
    }

    [Fact]
    public void MissingFileIsFileNotFound()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<FileNotFoundException>(() => PngDecoder.Decode(dir.File("absent.png")));
        Assert.Contains("absent.png", e.Message);
    }
}
