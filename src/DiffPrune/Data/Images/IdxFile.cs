using System.Buffers.Binary;
using System.IO.Compression;

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
    /// <exception cref="InvalidDataException">Wrong magic number, impossible sizes, truncated or overlong data, corrupt gzip.</exception>
    public static (int Count, int Rows, int Columns, byte[] Pixels) ReadImages(string path)
    {
        var (dims, data) = Read(path, ImagesMagic, "images (unsigned bytes, 3 dimensions)");
        return (dims[0], dims[1], dims[2], data);
    }

    /// <summary>Reads a label file: <paramref name="path"/> must hold magic 0x00000801 and one byte per label.</summary>
    /// <exception cref="InvalidDataException">Wrong magic number, truncated or overlong data, corrupt gzip.</exception>
    public static byte[] ReadLabels(string path) => Read(path, LabelsMagic, "labels (unsigned bytes, 1 dimension)").Data;

    static (int[] Dims, byte[] Data) Read(string path, uint expectedMagic, string what)
    {
        using var file = File.OpenRead(path);
        bool gzip = file.Length >= 2 && file.ReadByte() == 0x1F && file.ReadByte() == 0x8B;
        file.Position = 0;
        using Stream stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
        try
        {
            Span<byte> word = stackalloc byte[4];
            if (stream.ReadAtLeast(word, 4, throwOnEndOfStream: false) < 4)
                throw new InvalidDataException($"{path}: too short for an IDX header (4-byte magic number)");
            uint magic = BinaryPrimitives.ReadUInt32BigEndian(word);
            if (magic != expectedMagic)
                throw new InvalidDataException($"{path}: magic number 0x{magic:X8} is not an IDX file of {what}: expected 0x{expectedMagic:X8}");
            var dims = new int[expectedMagic & 0xFF];
            long count = 1;
            for (int i = 0; i < dims.Length; i++)
            {
                if (stream.ReadAtLeast(word, 4, throwOnEndOfStream: false) < 4)
                    throw new InvalidDataException($"{path}: truncated IDX header: it ends inside size {i + 1} of {dims.Length}");
                uint d = BinaryPrimitives.ReadUInt32BigEndian(word);
                if (d > int.MaxValue) throw new InvalidDataException($"{path}: size {i + 1} of the IDX header is {d}, which is not a valid size");
                dims[i] = (int)d;
                count *= d;
            }
            if (count > Array.MaxLength)
                throw new InvalidDataException($"{path}: IDX sizes {string.Join(" x ", dims)} give {count} bytes, more than one buffer holds");
            var data = new byte[count];
            int got = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
            if (got < count)
                throw new InvalidDataException($"{path}: truncated IDX data: the header declares {string.Join(" x ", dims)} = {count} bytes but only {got} follow");
            if (stream.ReadByte() >= 0)
                throw new InvalidDataException($"{path}: IDX file has bytes after the {string.Join(" x ", dims)} = {count} the header declares");
            return (dims, data);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: corrupt gzip data: {e.Message}", e);
        }
    }
}
