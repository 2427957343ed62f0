using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using DiffPrune.Data.Images;

namespace DiffPrune.Tests.Data;

/// <summary>Test surgery on PNG files: split into chunks, edit, reassemble with fresh CRCs.</summary>
public static class PngChunks
{
    /// <summary>The chunks of a well-formed PNG, in order (type and data; CRCs dropped).</summary>
    public static List<(string Type, byte[] Data)> Split(byte[] png)
    {
        var chunks = new List<(string, byte[])>();
        for (int pos = 8; pos < png.Length;)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            chunks.Add((Encoding.ASCII.GetString(png, pos + 4, 4), png.AsSpan(pos + 8, length).ToArray()));
            pos += 12 + length;
        }
        return chunks;
    }

    /// <summary>A PNG from chunks, each with a correct CRC.</summary>
    public static byte[] Join(IEnumerable<(string Type, byte[] Data)> chunks)
    {
        var output = new MemoryStream();
        output.Write(PngDecoder.Signature);
        foreach (var (type, data) in chunks)
        {
            var typeBytes = Encoding.ASCII.GetBytes(type);
            var word = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
            output.Write(word);
            output.Write(typeBytes);
            output.Write(data);
            BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Update(Crc32.Compute(typeBytes), data));
            output.Write(word);
        }
        return output.ToArray();
    }

    /// <summary>The same PNG with its image data cut into IDAT chunks of at most <paramref name="size"/> bytes.</summary>
    public static byte[] SplitIdat(byte[] png, int size)
    {
        var chunks = Split(png);
        var idat = chunks.Where(c => c.Type == "IDAT").SelectMany(c => c.Data).ToArray();
        int first = chunks.FindIndex(c => c.Type == "IDAT");
        var result = chunks.Take(first).ToList();
        for (int i = 0; i < idat.Length; i += size) result.Add(("IDAT", idat[i..Math.Min(idat.Length, i + size)]));
        result.AddRange(chunks.Skip(first).Where(c => c.Type != "IDAT"));
        return Join(result);
    }

    /// <summary>A minimal PNG: IHDR with the given fields, one IDAT of <paramref name="raw"/> (filter bytes included) deflated, IEND.</summary>
    public static byte[] Build(int width, int height, byte bitDepth, byte colorType, byte interlace, byte[] raw,
        IEnumerable<(string, byte[])>? before = null)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)height);
        (ihdr[8], ihdr[9], ihdr[12]) = (bitDepth, colorType, interlace);
        var chunks = new List<(string, byte[])> { ("IHDR", ihdr) };
        if (before != null) chunks.AddRange(before);
        chunks.Add(("IDAT", Deflate(raw)));
        chunks.Add(("IEND", []));
        return Join(chunks);
    }

    /// <summary>zlib-compresses <paramref name="raw"/>.</summary>
    public static byte[] Deflate(byte[] raw)
    {
        var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw);
        return ms.ToArray();
    }
}
