using System.Buffers.Binary;
using DiffPrune.Tensors;
using DiffPrune.Tensors.IO;
using System.IO.Compression;
using System.Text;

namespace DiffPrune.Data.Images;

/// <summary>
/// Reads PNG files (PNG specification, third edition) into 8-bit RGBA.
/// <list type="bullet">
/// <item>Every colour type and bit depth the format allows: gray 1/2/4/8/16, gray+alpha 8/16, RGB 8/16, RGBA 8/16,
/// palette 1/2/4/8 (PLTE, with tRNS as per-entry alpha); a tRNS chunk in a gray or RGB file makes that one colour
/// transparent.</item>
/// <item>16-bit samples are down-converted to 8 bits by rounding, <c>round(v · 255 / 65535)</c> (what ImageMagick does);
/// low-bit gray is scaled to 0..255 (<c>v · 255 / (2^depth − 1)</c>).</item>
/// <item>All five row filters, any number of IDAT chunks, Adam7 interlacing.</item>
/// <item>Every chunk's CRC is checked; unknown ancillary chunks are skipped, unknown critical chunks are an error.
/// No colour management: gAMA, cHRM, sRGB and iCCP are ignored, so values are the stored ones.</item>
/// </list>
/// Errors are <see cref="InvalidDataException"/>s whose message starts with the file (or source name) and says what is wrong.
/// </summary>
public static class PngDecoder
{
    /// <summary>The eight bytes every PNG file starts with.</summary>
    public static ReadOnlySpan<byte> Signature => [137, 80, 78, 71, 13, 10, 26, 10];

    /// <summary>
    /// The largest image accepted, in pixels (2^25 ≈ 33.5 M: an 8K photo fits), so that a small file cannot ask for gigabytes:
    /// at 16-bit RGBA its inflated rows, the RGBA and the RGB buffers together stay under 600 MB.
    /// </summary>
    public const long MaxPixels = 1L << 25;

    /// <summary>The largest PNG file read (its compressed bytes are held in memory while decoding).</summary>
    public const long MaxFileBytes = 256L << 20;

    // Adam7 passes: first column, first row, column step, row step (PNG specification §8.2).
    static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    static readonly (int X0, int Y0, int Dx, int Dy)[] Sequential = [(0, 0, 1, 1)];

    /// <summary>Decodes <paramref name="path"/> with transparency composited over white (<see cref="RgbaImage.ToRgb"/>).</summary>
    /// <exception cref="InvalidDataException">The file is not a valid PNG (the message names the file and the problem).</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static RgbImage Decode(string path) => DecodeRgba(path).ToRgb();

    /// <summary>Decodes PNG bytes with transparency composited over white; <paramref name="source"/> names them in errors.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid PNG.</exception>
    public static RgbImage Decode(ReadOnlySpan<byte> png, string source) => DecodeRgba(png, source).ToRgb();

    /// <summary>Decodes <paramref name="path"/> to straight 8-bit RGBA.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid PNG (the message names the file and the problem).</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ResourceLimitException">The file or the image it declares exceeds <see cref="MaxFileBytes"/> or <see cref="MaxPixels"/>.</exception>
    public static RgbaImage DecodeRgba(string path) => DecodeRgba(ReadFile(path), path);

    /// <summary>The bytes of <paramref name="path"/>, refusing folders, pipes and files above <see cref="MaxFileBytes"/> before reading.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">A folder, pipe or empty file.</exception>
    /// <exception cref="ResourceLimitException">The file is larger than <see cref="MaxFileBytes"/>.</exception>
    public static byte[] ReadFile(string path)
    {
        InputFile.CheckRegular(path, "PNG image");
        long length = new FileInfo(path).Length;
        if (length > MaxFileBytes)
            throw new ResourceLimitException($"{path} is {MemoryBudget.Describe(length)}, above the {MemoryBudget.Describe(MaxFileBytes)} a PNG may have here: scale the image down first");
        return File.ReadAllBytes(path);
    }

    /// <summary>Decodes PNG bytes to straight 8-bit RGBA; <paramref name="source"/> names them in errors.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid PNG.</exception>
    public static RgbaImage DecodeRgba(ReadOnlySpan<byte> png, string source)
    {
        var parts = Parse(png, source, headerOnly: false);
        return Reconstruct(parts, Inflate(parts, source), source, filterCounts: null);
    }

    /// <summary>Reads and checks the signature and IHDR chunk of <paramref name="path"/> without decoding pixels.</summary>
    /// <exception cref="InvalidDataException">The file does not start like a valid PNG.</exception>
    public static PngHeader ReadHeader(string path)
    {
        InputFile.CheckRegular(path, "PNG image");
        var head = new byte[8 + 25];
        int n;
        using (var stream = File.OpenRead(path)) n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return Parse(head.AsSpan(0, n), path, headerOnly: true).Header;
    }

    /// <summary>How many rows use each filter type 0..4 (for tests and diagnostics); decodes the whole image.</summary>
    internal static int[] FilterTypeCounts(ReadOnlySpan<byte> png, string source)
    {
        var parts = Parse(png, source, headerOnly: false);
        var counts = new int[5];
        Reconstruct(parts, Inflate(parts, source), source, counts);
        return counts;
    }

    /// <summary>The chunk types of a PNG in file order, with their data lengths (for tests and diagnostics); checks CRCs.</summary>
    internal static List<(string Type, int Length)> ChunkList(ReadOnlySpan<byte> png, string source)
    {
        var list = new List<(string, int)>();
        Parse(png, source, headerOnly: false, list);
        return list;
    }

    sealed class Parts(PngHeader header)
    {
        public PngHeader Header { get; } = header;
        public byte[]? Palette;           // RGB triples from PLTE
        public byte[]? PaletteAlpha;      // tRNS for palette images: alpha per entry (entries beyond are opaque)
        public int[]? TransparentSample;  // tRNS for gray (1 value) or RGB (3 values): raw samples of the transparent colour
        public readonly MemoryStream Idat = new();
    }

    static Parts Parse(ReadOnlySpan<byte> png, string source, bool headerOnly, List<(string, int)>? chunks = null)
    {
        if (png.Length < 8 || !png[..8].SequenceEqual(Signature))
            throw new InvalidDataException($"{source}: not a PNG file (it does not start with the 8-byte PNG signature)");
        Parts? parts = null;
        int pos = 8;
        while (true)
        {
            if (png.Length - pos < 12)
                throw new InvalidDataException(parts == null
                    ? $"{source}: truncated PNG: the file ends at byte {png.Length} before the IHDR chunk is complete"
                    : $"{source}: truncated PNG: the file ends at byte {png.Length} without an IEND chunk");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(png[pos..]);
            var typeBytes = png.Slice(pos + 4, 4);
            if (!IsChunkType(typeBytes))
                throw new InvalidDataException($"{source}: corrupt PNG: bytes {pos + 4}..{pos + 7} are not a chunk type (got 0x{Convert.ToHexString(typeBytes)})");
            string type = Encoding.ASCII.GetString(typeBytes);
            if (length > int.MaxValue || length > png.Length - pos - 12)
                throw new InvalidDataException(
                    $"{source}: truncated PNG: chunk {type} at offset {pos} declares {length} data bytes but only {Math.Max(0, png.Length - pos - 12)} remain before its CRC");
            var data = png.Slice(pos + 8, (int)length);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(png[(pos + 8 + (int)length)..]);
            uint computed = Crc32.Compute(png.Slice(pos + 4, 4 + (int)length));
            if (stored != computed)
                throw new InvalidDataException($"{source}: CRC mismatch in chunk {type} at offset {pos} (stored 0x{stored:x8}, computed 0x{computed:x8}): the file is corrupt");
            chunks?.Add((type, (int)length));

            if (parts == null)
            {
                if (type != "IHDR") throw new InvalidDataException($"{source}: the first chunk is {type}, not IHDR");
                parts = new Parts(ParseHeader(data, source));
                if (headerOnly) return parts;
            }
            else
            {
                switch (type)
                {
                    case "IHDR":
                        throw new InvalidDataException($"{source}: a second IHDR chunk at offset {pos}");
                    case "PLTE":
                        parts.Palette = ParsePalette(data, parts.Header, source);
                        break;
                    case "tRNS":
                        ParseTransparency(data, parts, source);
                        break;
                    case "IDAT":
                        if (parts.Header.ColorType == PngColorType.Palette && parts.Palette == null)
                            throw new InvalidDataException($"{source}: palette image has no PLTE chunk before its image data");
                        parts.Idat.Write(data);
                        break;
                    case "IEND":
                        if (parts.Idat.Length == 0) throw new InvalidDataException($"{source}: the PNG has no IDAT (image data) chunk");
                        return parts;
                    default:
                        if ((typeBytes[0] & 0x20) == 0) // upper-case first letter: critical, we must understand it
                            throw new InvalidDataException($"{source}: unknown critical chunk {type} at offset {pos}; this decoder cannot read the image");
                        break; // ancillary: safe to ignore
                }
            }
            pos += 12 + (int)length;
        }
    }

    static bool IsChunkType(ReadOnlySpan<byte> t)
    {
        foreach (byte b in t)
            if (!(b is >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z')) return false;
        return true;
    }

    static PngHeader ParseHeader(ReadOnlySpan<byte> d, string source)
    {
        if (d.Length != 13) throw new InvalidDataException($"{source}: IHDR chunk has {d.Length} bytes, not 13");
        uint width = BinaryPrimitives.ReadUInt32BigEndian(d), height = BinaryPrimitives.ReadUInt32BigEndian(d[4..]);
        int depth = d[8], colorType = d[9], compression = d[10], filter = d[11], interlace = d[12];
        if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue)
            throw new InvalidDataException($"{source}: invalid image size {width}x{height} in IHDR");
        if ((long)width * height > MaxPixels)
            throw new ResourceLimitException($"{source}: image size {width}x{height} exceeds the {MaxPixels:N0} pixels this decoder accepts: scale the image down first (the model sees it at a few hundred pixels a side)");
        int[] allowed = colorType switch
        {
            0 => [1, 2, 4, 8, 16],
            3 => [1, 2, 4, 8],
            2 or 4 or 6 => [8, 16],
            _ => throw new InvalidDataException($"{source}: unsupported PNG color type {colorType} (valid: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA)"),
        };
        if (Array.IndexOf(allowed, depth) < 0)
            throw new InvalidDataException(
                $"{source}: unsupported bit depth {depth} for color type {colorType} ({(PngColorType)colorType}); valid depths are {string.Join(", ", allowed)}");
        if (compression != 0) throw new InvalidDataException($"{source}: unsupported compression method {compression} (only 0, deflate)");
        if (filter != 0) throw new InvalidDataException($"{source}: unsupported filter method {filter} (only 0, adaptive)");
        if (interlace > 1) throw new InvalidDataException($"{source}: unsupported interlace method {interlace} (valid: 0 none, 1 Adam7)");
        return new PngHeader((int)width, (int)height, depth, (PngColorType)colorType, interlace == 1);
    }

    static byte[]? ParsePalette(ReadOnlySpan<byte> d, PngHeader h, string source)
    {
        if (d.Length == 0 || d.Length % 3 != 0 || d.Length / 3 > 256)
            throw new InvalidDataException($"{source}: PLTE chunk has {d.Length} bytes; it must hold 1..256 RGB entries (a multiple of 3 bytes)");
        // Colour files may carry a suggested palette (unused here); in gray files a palette is invalid but harmless: ignored, as libpng does.
        return h.ColorType == PngColorType.Palette ? d.ToArray() : null;
    }

    static void ParseTransparency(ReadOnlySpan<byte> d, Parts parts, string source)
    {
        switch (parts.Header.ColorType)
        {
            case PngColorType.Palette:
                if (parts.Palette == null) throw new InvalidDataException($"{source}: tRNS chunk comes before PLTE");
                // Entries beyond the palette cannot be used; libpng drops them too.
                parts.PaletteAlpha = d[..Math.Min(d.Length, parts.Palette.Length / 3)].ToArray();
                break;
            case PngColorType.Gray:
                if (d.Length != 2) throw new InvalidDataException($"{source}: tRNS chunk of a gray image has {d.Length} bytes, not 2");
                parts.TransparentSample = [BinaryPrimitives.ReadUInt16BigEndian(d)];
                break;
            case PngColorType.Rgb:
                if (d.Length != 6) throw new InvalidDataException($"{source}: tRNS chunk of an RGB image has {d.Length} bytes, not 6");
                parts.TransparentSample =
                    [BinaryPrimitives.ReadUInt16BigEndian(d), BinaryPrimitives.ReadUInt16BigEndian(d[2..]), BinaryPrimitives.ReadUInt16BigEndian(d[4..])];
                break;
            default:
                break; // an image with an alpha channel needs no tRNS; libpng ignores it too
        }
    }

    static (int X0, int Y0, int Dx, int Dy)[] Passes(PngHeader h) => h.Interlaced ? Adam7 : Sequential;

    static int PassSize(int size, int start, int step) => size > start ? (size - start + step - 1) / step : 0;

    static byte[] Inflate(Parts parts, string source)
    {
        var h = parts.Header;
        long expected = 0;
        foreach (var (x0, y0, dx, dy) in Passes(h))
        {
            int pw = PassSize(h.Width, x0, dx), ph = PassSize(h.Height, y0, dy);
            if (pw > 0 && ph > 0) expected += ph * (1 + h.RowBytes(pw));
        }
        if (expected > Array.MaxLength)
            throw new InvalidDataException($"{source}: a {h.Width}x{h.Height} image at {h.BitsPerPixel} bits per pixel is too large to decode in one buffer");
        var data = new byte[expected];
        int got = 0;
        parts.Idat.Position = 0;
        try
        {
            using var z = new ZLibStream(parts.Idat, CompressionMode.Decompress, leaveOpen: true);
            got = z.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{source}: the image data (IDAT) is not a valid zlib stream: {e.Message}", e);
        }
        if (got < expected)
            throw new InvalidDataException(
                $"{source}: truncated image data: IDAT inflates to {got} bytes but a {h.Width}x{h.Height} {Describe(h)} image needs {expected}");
        return data;
    }

    static string Describe(PngHeader h) => $"{h.BitDepth}-bit {h.ColorType}{(h.Interlaced ? " interlaced" : "")}";

    static RgbaImage Reconstruct(Parts parts, byte[] data, string source, int[]? filterCounts)
    {
        var h = parts.Header;
        var rgba = new byte[(long)h.Width * h.Height * 4];
        int bpp = Math.Max(1, h.BitsPerPixel / 8); // filter distance: bytes per complete pixel, at least 1
        int pos = 0, passIndex = 0;
        foreach (var (x0, y0, dx, dy) in Passes(h))
        {
            passIndex++;
            int pw = PassSize(h.Width, x0, dx), ph = PassSize(h.Height, y0, dy);
            if (pw == 0 || ph == 0) continue;
            int rowBytes = (int)h.RowBytes(pw);
            ReadOnlySpan<byte> prior = new byte[rowBytes]; // the row above the first is zero
            for (int r = 0; r < ph; r++)
            {
                int filter = data[pos];
                var row = data.AsSpan(pos + 1, rowBytes);
                if (!PngFilter.Unfilter(filter, row, prior, bpp))
                    throw new InvalidDataException(
                        $"{source}: row {r}{(h.Interlaced ? $" of Adam7 pass {passIndex}" : "")} has filter type {filter}; valid types are 0..4 (corrupt image data)");
                if (filterCounts != null) filterCounts[filter]++;
                Unpack(parts, row, rgba, y0 + r * dy, x0, dx, pw, source);
                prior = row;
                pos += 1 + rowBytes;
            }
        }
        bool hasAlpha = h.ColorType is PngColorType.GrayAlpha or PngColorType.Rgba || parts.PaletteAlpha != null || parts.TransparentSample != null;
        return new RgbaImage(h.Width, h.Height, rgba, hasAlpha);
    }

    /// <summary>Converts one unfiltered row of <paramref name="count"/> pixels to RGBA at columns x0, x0 + dx, ... of row <paramref name="y"/>.</summary>
    static void Unpack(Parts parts, ReadOnlySpan<byte> row, byte[] rgba, int y, int x0, int dx, int count, string source)
    {
        var h = parts.Header;
        int depth = h.BitDepth;
        var transparent = parts.TransparentSample;
        for (int i = 0; i < count; i++)
        {
            long o = ((long)y * h.Width + x0 + (long)i * dx) * 4;
            int r, g, b, a = 255;
            switch (h.ColorType)
            {
                case PngColorType.Gray:
                    {
                        int v = Sample(row, i, depth);
                        r = g = b = To8(v, depth);
                        if (transparent != null && v == transparent[0]) a = 0;
                        break;
                    }
                case PngColorType.GrayAlpha:
                    r = g = b = To8(Sample(row, 2 * i, depth), depth);
                    a = To8(Sample(row, 2 * i + 1, depth), depth);
                    break;
                case PngColorType.Rgb:
                    {
                        int sr = Sample(row, 3 * i, depth), sg = Sample(row, 3 * i + 1, depth), sb = Sample(row, 3 * i + 2, depth);
                        (r, g, b) = (To8(sr, depth), To8(sg, depth), To8(sb, depth));
                        if (transparent != null && sr == transparent[0] && sg == transparent[1] && sb == transparent[2]) a = 0;
                        break;
                    }
                case PngColorType.Palette:
                    {
                        int index = Sample(row, i, depth);
                        var palette = parts.Palette!;
                        if (index * 3 >= palette.Length)
                            throw new InvalidDataException(
                                $"{source}: pixel ({x0 + i * dx}, {y}) uses palette index {index} but the palette has only {palette.Length / 3} entries");
                        (r, g, b) = (palette[3 * index], palette[3 * index + 1], palette[3 * index + 2]);
                        if (parts.PaletteAlpha is { } alpha && index < alpha.Length) a = alpha[index];
                        break;
                    }
                default:
                    (r, g, b, a) = (To8(Sample(row, 4 * i, depth), depth), To8(Sample(row, 4 * i + 1, depth), depth),
                        To8(Sample(row, 4 * i + 2, depth), depth), To8(Sample(row, 4 * i + 3, depth), depth));
                    break;
            }
            rgba[o] = (byte)r;
            rgba[o + 1] = (byte)g;
            rgba[o + 2] = (byte)b;
            rgba[o + 3] = (byte)a;
        }
    }

    /// <summary>Sample number <paramref name="index"/> of a row at <paramref name="depth"/> bits (big-endian, most significant bits first).</summary>
    static int Sample(ReadOnlySpan<byte> row, int index, int depth)
    {
        switch (depth)
        {
            case 8: return row[index];
            case 16: return (row[2 * index] << 8) | row[2 * index + 1];
            default:
                int bit = index * depth;
                return (row[bit >> 3] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
        }
    }

    /// <summary>A <paramref name="depth"/>-bit sample on the 0..255 scale (16 bits: round(v / 257); 1..4 bits: exact multiples).</summary>
    static int To8(int v, int depth) => depth switch
    {
        8 => v,
        16 => (v * 255 + 32767) / 65535,
        _ => v * 255 / ((1 << depth) - 1),
    };
}
