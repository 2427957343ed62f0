using DiffPrune.Data.Images;

namespace DiffPrune.Tests.Data;

/// <summary>IDX reading on small files written here, plain and gzip'd, and every validation error.</summary>
public class IdxFileTests
{
    /// <summary>An IDX file: magic, big-endian sizes, then <paramref name="data"/>; gzip'd when asked.</summary>
    internal static void Write(string path, uint magic, int[] sizes, byte[] data, bool gzip = true) => DiffPrune.Testing.IdxFiles.Write(path, magic, sizes, data, gzip);

    static byte[] Pixels(int n) => Enumerable.Range(0, n).Select(i => (byte)(i * 37 % 251)).ToArray();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReadsImagesAndLabels(bool gzip)
    {
        using var dir = new TempDirectory();
        Write(dir.File("img"), 0x803, [3, 4, 5], Pixels(60), gzip);
        Write(dir.File("lab"), 0x801, [3], [7, 0, 9], gzip);
        var (count, rows, columns, pixels) = IdxFile.ReadImages(dir.File("img"));
        Assert.Equal((3, 4, 5), (count, rows, columns));
        Assert.Equal(Pixels(60), pixels);
        Assert.Equal(new byte[] { 7, 0, 9 }, IdxFile.ReadLabels(dir.File("lab")));
    }

    [Fact]
    public void WrongMagicNamesFileAndBothNumbers()
    {
        using var dir = new TempDirectory();
        Write(dir.File("labels.gz"), 0x801, [2], [1, 2]);
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(dir.File("labels.gz")));
        Assert.Equal($"{dir.File("labels.gz")}: magic number 0x00000801 is not an IDX file of images (unsigned bytes, 3 dimensions): expected 0x00000803", e.Message);
        Write(dir.File("floats.gz"), 0x0D01, [2], new byte[8]); // float32 labels: not ours
        Assert.Contains("magic number 0x00000D01", Assert.Throws<InvalidDataException>(() => IdxFile.ReadLabels(dir.File("floats.gz"))).Message);
    }

    [Fact]
    public void SizeErrorsNameTheFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("x.gz");
        Write(path, 0x803, [2, 3, 3], Pixels(17));
        Assert.Equal($"{path}: truncated IDX data: the header declares 2 x 3 x 3 = 18 bytes but only 17 follow",
            Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(path)).Message);
        Write(path, 0x803, [2, 3, 3], Pixels(19));
        Assert.Contains("bytes after the 2 x 3 x 3 = 18", Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(path)).Message);
        Write(path, 0x803, [2, 3], []);
        Assert.Contains("truncated IDX header", Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(path)).Message);
        Write(path, 0x803, [-1, 3, 3], []);
        Assert.Contains("not a valid size", Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(path)).Message);
        Write(path, 0x803, [65536, 65536, 65536], []);
        Assert.Contains("above the", Assert.Throws<DiffPrune.Tensors.ResourceLimitException>(() => IdxFile.ReadImages(path)).Message);
        Write(path, 0x803, [int.MaxValue, int.MaxValue, int.MaxValue], []);
        Assert.Contains("overflow a 64-bit count", Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(path)).Message);
        File.WriteAllBytes(path, [0, 0]);
        Assert.Contains("too short for an IDX header", Assert.Throws<InvalidDataException>(() => IdxFile.ReadLabels(path)).Message);
    }

    [Fact]
    public void CorruptGzipNamesTheFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad.gz");
        Write(path, 0x801, [1000], Pixels(1000));
        var bytes = File.ReadAllBytes(path);
        for (int i = 12; i < bytes.Length - 8; i++) bytes[i] ^= 0x5A; // keep the gzip header, scramble the deflate stream
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.ReadLabels(path));
        Assert.StartsWith(path + ": ", e.Message);
    }

    [Fact]
    public void HeadersThatPromiseMoreThanTheFileHoldsAreRefusedBeforeAllocating()
    {
        using var dir = new TempDirectory();
        // 400 MB of zeros would inflate from about 400 KB of gzip; these few bytes cannot hold it
        string bomb = dir.File("bomb.gz");
        Write(bomb, 0x803, [400, 1000, 1000], Pixels(1000));
        var before = GC.GetTotalAllocatedBytes(precise: true);
        Assert.Contains("bytes of gzip can hold", Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(bomb)).Message);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 16 << 20, "the promised 400 MB must not be allocated");
        string plain = dir.File("plain");
        Write(plain, 0x803, [400, 1000, 1000], Pixels(1000), gzip: false);
        Assert.Contains("truncated IDX data", Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(plain)).Message);
        Assert.Contains("is a folder", Assert.Throws<InvalidDataException>(() => IdxFile.ReadLabels(dir.Path)).Message);
    }
}
