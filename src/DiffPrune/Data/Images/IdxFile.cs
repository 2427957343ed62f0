using System.Buffers.Binary;
using System.IO.Compression;
using DiffPrune.Tensors;
using DiffPrune.Tensors.IO;

namespace DiffPrune.Data.Images;

/// <summary>
/// Reads IDX files (the MNIST / Fashion-MNIST format), plain or gzip-compressed (detected from the first bytes).
/// Layout: a big-endian magic number <c>0x0000 TT NN</c> (TT = element type, 0x08 = unsigned byte; NN = number of
/// dimensions), NN big-endian int32 sizes, then the elements in row-major order. Only unsigned-byte files are read:
/// images <c>0x00000803</c> (count, rows, columns) and labels <c>0x00000801</c> (count).
/// Errors are <see cref="InvalidDataException"/>s that name the file.
/// </summary>
public static class IdxFile
{
    /// <summary>Magic number of an unsigned-byte, 3-dimensional IDX file (images).</summary>
    public const uint ImagesMagic = 0x00000803;

    /// <summary>Magic number of an unsigned-byte, 1-dimensional IDX file (labels).</summary>
    public const uint LabelsMagic = 0x00000801;

    /// <summary>Reads an image file: <paramref name="path"/> must hold magic 0x00000803 and count × rows × columns bytes.</summary>
    /// <returns>The sizes and the pixels, image after image, each row-major.</returns>
    /// <exception cref="InvalidDataException">Wrong magic number, impossible or overflowing sizes, truncated or overlong data, corrupt gzip.</exception>
    /// <exception cref="ResourceLimitException">The header declares more than <see cref="MaxDataBytes"/>.</exception>
    public static (int Count, int Rows, int Columns, byte[] Pixels) ReadImages(string path)
    {
        var (dims, data) = Read(path, ImagesMagic, "images (unsigned bytes, 3 dimensions)");
        return (dims[0], dims[1], dims[2], data);
    }

    /// <summary>Reads a label file: <paramref name="path"/> must hold magic 0x00000801 and one byte per label.</summary>
    /// <exception cref="InvalidDataException">Wrong magic number, truncated or overlong data, corrupt gzip.</exception>
    public static byte[] ReadLabels(string path) => Read(path, LabelsMagic, "labels (unsigned bytes, 1 dimension)").Data;

    /// <summary>The most element bytes a file may declare (Fashion-MNIST's training images are 47 MB).</summary>
    public const long MaxDataBytes = 512L << 20;

    /// <summary>Deflate expands at most about 1032:1, so a gzip file cannot hold more than this many bytes per compressed byte.</summary>
    const long MaxInflation = 1032;

    static (int[] Dims, byte[] Data) Read(string path, uint expectedMagic, string what)
    {
        InputFile.CheckRegular(path, $"IDX file of {what}");
        using var file = File.OpenRead(path);
        bool gzip = file.Length >= 2 && file.ReadByte() == 0x1F && file.ReadByte() == 0x8B;
        file.Position = 0;
        using Stream stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
        try
        {
            var dims = ReadHeader(stream, path, expectedMagic, what);
            long count = Count(dims, path);
            string sizes = string.Join(" x ", dims);
            if (count > MaxDataBytes)
                throw new ResourceLimitException($"{path}: IDX sizes {sizes} declare {count:N0} bytes, above the {MaxDataBytes:N0} this reader accepts: not a dataset this project uses");
            long header = 4 + 4L * dims.Length;
            if (!gzip && count > file.Length - header)
                throw new InvalidDataException($"{path}: truncated IDX data: the header declares {sizes} = {count} bytes but only {file.Length - header} follow");
            if (gzip && count > MaxInflation * file.Length)
                throw new InvalidDataException($"{path}: IDX sizes {sizes} declare {count:N0} bytes, more than {file.Length:N0} bytes of gzip can hold: the header is corrupt");
            var data = ReadData(stream, count);
            if (data.Length < count)
                throw new InvalidDataException($"{path}: truncated IDX data: the header declares {sizes} = {count} bytes but only {data.Length} follow");
            if (stream.ReadByte() >= 0)
                throw new InvalidDataException($"{path}: IDX file has bytes after the {sizes} = {count} the header declares");
            return (dims, data);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: corrupt gzip data: {e.Message}", e);
        }
    }

    static int[] ReadHeader(Stream stream, string path, uint expectedMagic, string what)
    {
        Span<byte> word = stackalloc byte[4];
        if (stream.ReadAtLeast(word, 4, throwOnEndOfStream: false) < 4)
            throw new InvalidDataException($"{path}: too short for an IDX header (4-byte magic number)");
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(word);
        if (magic != expectedMagic)
            throw new InvalidDataException($"{path}: magic number 0x{magic:X8} is not an IDX file of {what}: expected 0x{expectedMagic:X8}");
        var dims = new int[expectedMagic & 0xFF];
        for (int i = 0; i < dims.Length; i++)
        {
            if (stream.ReadAtLeast(word, 4, throwOnEndOfStream: false) < 4)
                throw new InvalidDataException($"{path}: truncated IDX header: it ends inside size {i + 1} of {dims.Length}");
            uint d = BinaryPrimitives.ReadUInt32BigEndian(word);
            if (d > int.MaxValue) throw new InvalidDataException($"{path}: size {i + 1} of the IDX header is {d}, which is not a valid size");
            dims[i] = (int)d;
        }
        return dims;
    }

    /// <summary>The product of the sizes; three sizes below 2³¹ can overflow 64 bits, which is a corrupt header.</summary>
    static long Count(int[] dims, string path)
    {
        try
        {
            return dims.Aggregate(1L, (a, d) => checked(a * d));
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"{path}: IDX sizes {string.Join(" x ", dims)} overflow a 64-bit count: the header is corrupt");
        }
    }

    /// <summary>Reads up to <paramref name="count"/> bytes into a buffer that grows with what actually arrives, so a header
    /// that promises more than the stream holds never commits the promised memory.</summary>
    static byte[] ReadData(Stream stream, long count)
    {
        var data = new byte[Math.Min(count, 1 << 20)];
        int got = 0;
        while (got < count)
        {
            if (got == data.Length) Array.Resize(ref data, (int)Math.Min(count, 2L * data.Length));
            int n = stream.Read(data, got, data.Length - got);
            if (n == 0) break;
            got += n;
        }
        if (got < data.Length) Array.Resize(ref data, got);
        return data;
    }
}
