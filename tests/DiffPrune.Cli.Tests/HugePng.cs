using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using DiffPrune.Data.Images;

namespace DiffPrune.Cli.Tests;

/// <summary>A PNG of a few dozen bytes whose header declares a huge image (the decoder must refuse it from the header).</summary>
public static class HugePng
{
    /// <summary>Signature, an 8-bit RGB IHDR of <paramref name="width"/>×<paramref name="height"/>, one tiny IDAT, IEND.</summary>
    public static byte[] Build(int width, int height)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)height);
        ihdr[8] = 8;
        ihdr[9] = 2;
        var deflated = new MemoryStream();
        using (var z = new ZLibStream(deflated, CompressionLevel.Fastest, leaveOpen: true)) z.Write(new byte[64]);
        var output = new MemoryStream();
        output.Write(PngDecoder.Signature);
        foreach (var (type, data) in new[] { ("IHDR", ihdr), ("IDAT", deflated.ToArray()), ("IEND", Array.Empty<byte>()) })
        {
            var word = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
            output.Write(word);
            var typeBytes = Encoding.ASCII.GetBytes(type);
            output.Write(typeBytes);
            output.Write(data);
            BinaryPrimitives.WriteUInt32BigEndian(word, Crc([.. typeBytes, .. data]));
            output.Write(word);
        }
        return output.ToArray();
    }

    /// <summary>CRC-32 (IEEE, reflected), bit by bit: slow and obviously right.</summary>
    static uint Crc(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
