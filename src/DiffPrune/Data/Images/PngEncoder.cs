using DiffPrune.Tensors.IO;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace DiffPrune.Data.Images;

/// <summary>
/// Writes 8-bit PNG files: RGB (colour type 2), RGBA (6) and gray (0), non-interlaced, one IDAT chunk, zlib at
/// <see cref="CompressionLevel.Optimal"/>. Rows are filtered by <see cref="PngFilterStrategy"/> (per-row adaptive
/// choice by default). <c>Save</c> methods write atomically: the bytes go to a temporary file in the target's folder,
/// which then replaces the target, so a reader never sees half a file.
/// </summary>
public static class PngEncoder
{
    /// <summary>Encodes the colours of <paramref name="image"/> as an 8-bit RGB PNG. <see cref="RgbImage.Alpha"/> is not written
    /// (the colours already show the image over white); encode an <see cref="RgbaImage"/> to keep transparency.</summary>
    public static byte[] Encode(RgbImage image, PngFilterStrategy filter = PngFilterStrategy.Adaptive)
    {
        ArgumentNullException.ThrowIfNull(image);
        return EncodeRaw(image.Width, image.Height, image.Rgb, channels: 3, PngColorType.Rgb, filter);
    }

    /// <summary>Encodes <paramref name="image"/> as 8-bit RGBA, or as 8-bit RGB when it has no alpha (<see cref="RgbaImage.HasAlpha"/> false).</summary>
    public static byte[] Encode(RgbaImage image, PngFilterStrategy filter = PngFilterStrategy.Adaptive)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.HasAlpha) return EncodeRaw(image.Width, image.Height, image.Rgba, channels: 4, PngColorType.Rgba, filter);
        var rgb = new byte[image.Width * image.Height * 3];
        for (int i = 0, j = 0; i < rgb.Length; i += 3, j += 4)
        {
            rgb[i] = image.Rgba[j];
            rgb[i + 1] = image.Rgba[j + 1];
            rgb[i + 2] = image.Rgba[j + 2];
        }
        return EncodeRaw(image.Width, image.Height, rgb, channels: 3, PngColorType.Rgb, filter);
    }

    /// <summary>Encodes an 8-bit gray image (row-major, <c>width * height</c> bytes).</summary>
    /// <exception cref="ArgumentException">A size below 1 or a buffer of the wrong length.</exception>
    public static byte[] EncodeGray(int width, int height, ReadOnlySpan<byte> gray, PngFilterStrategy filter = PngFilterStrategy.Adaptive)
    {
        RgbImage.CheckSize(width, height);
        if (gray.Length != (long)width * height)
            throw new ArgumentException($"gray buffer holds {gray.Length} bytes but a {width}x{height} image needs {(long)width * height}", nameof(gray));
        return EncodeRaw(width, height, gray, channels: 1, PngColorType.Gray, filter);
    }

    /// <summary>Writes <paramref name="image"/> to <paramref name="path"/> as RGB, atomically (see <see cref="Encode(RgbImage, PngFilterStrategy)"/>).</summary>
    /// <exception cref="IOException">The file cannot be written (the message names it).</exception>
    public static void Save(RgbImage image, string path, PngFilterStrategy filter = PngFilterStrategy.Adaptive) =>
        WriteAtomically(path, Encode(image, filter));

    /// <summary>Writes <paramref name="image"/> to <paramref name="path"/> as RGBA (RGB without alpha), atomically.</summary>
    /// <exception cref="IOException">The file cannot be written (the message names it).</exception>
    public static void Save(RgbaImage image, string path, PngFilterStrategy filter = PngFilterStrategy.Adaptive) =>
        WriteAtomically(path, Encode(image, filter));

    /// <summary>Writes an 8-bit gray image to <paramref name="path"/>, atomically.</summary>
    /// <exception cref="IOException">The file cannot be written (the message names it).</exception>
    public static void SaveGray(int width, int height, ReadOnlySpan<byte> gray, string path, PngFilterStrategy filter = PngFilterStrategy.Adaptive) =>
        WriteAtomically(path, EncodeGray(width, height, gray, filter));

    static byte[] EncodeRaw(int width, int height, ReadOnlySpan<byte> pixels, int channels, PngColorType colorType, PngFilterStrategy filter)
    {
        if (filter is < PngFilterStrategy.Adaptive or > PngFilterStrategy.Paeth)
            throw new ArgumentOutOfRangeException(nameof(filter), $"unknown PNG filter strategy {(int)filter}");
        int rowBytes = width * channels;
        var output = new MemoryStream();
        output.Write(PngDecoder.Signature);

        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr[4..], (uint)height);
        ihdr[8] = 8;                 // bit depth
        ihdr[9] = (byte)colorType;
        ihdr[10] = ihdr[11] = ihdr[12] = 0; // deflate, adaptive filtering, no interlace
        WriteChunk(output, "IHDR", ihdr);

        var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true))
        {
            var zeros = new byte[rowBytes];
            var line = new byte[1 + rowBytes];           // filter byte + filtered row
            var trial = new byte[rowBytes];
            for (int y = 0; y < height; y++)
            {
                var row = pixels.Slice(y * rowBytes, rowBytes);
                var prior = y == 0 ? zeros : pixels.Slice((y - 1) * rowBytes, rowBytes);
                int type = (int)filter;
                if (filter == PngFilterStrategy.Adaptive)
                {
                    long best = long.MaxValue;
                    for (int t = 0; t <= 4; t++)
                    {
                        PngFilter.Filter(t, row, prior, channels, trial);
                        long cost = PngFilter.Cost(trial);
                        if (cost < best) (best, type) = (cost, t);
                    }
                }
                line[0] = (byte)type;
                PngFilter.Filter(type, row, prior, channels, line.AsSpan(1));
                z.Write(line);
            }
        }
        WriteChunk(output, "IDAT", idat.GetBuffer().AsSpan(0, (int)idat.Length));
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
        output.Write(word);
        Span<byte> typeBytes = stackalloc byte[4];
        Encoding.ASCII.GetBytes(type, typeBytes);
        output.Write(typeBytes);
        output.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Update(Crc32.Compute(typeBytes), data));
        output.Write(word);
    }

    /// <summary>Writes through <see cref="AtomicFile"/>: readers see the old image or the new one, never a torn one.</summary>
    static void WriteAtomically(string path, byte[] bytes)
    {
        try
        {
            AtomicFile.WriteAllBytes(path, bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{path}: cannot write PNG: {e.Message}", e);
        }
    }
}
