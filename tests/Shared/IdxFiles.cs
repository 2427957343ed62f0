using System.Buffers.Binary;
using System.IO.Compression;
using DiffPrune.Tensors;

namespace DiffPrune.Testing;

/// <summary>Files in Fashion-MNIST's IDX format, written for tests: single files and a small synthetic data set.</summary>
public static class IdxFiles
{
    /// <summary>An IDX file: magic, big-endian sizes, then <paramref name="data"/>; gzip'd when asked.</summary>
    public static void Write(string path, uint magic, int[] sizes, byte[] data, bool gzip = true)
    {
        var raw = new MemoryStream();
        var word = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, magic);
        raw.Write(word);
        foreach (int s in sizes)
        {
            BinaryPrimitives.WriteInt32BigEndian(word, s);
            raw.Write(word);
        }
        raw.Write(data);
        using var file = File.Create(path);
        if (!gzip)
        {
            raw.WriteTo(file);
            return;
        }
        using var z = new GZipStream(file, CompressionLevel.Fastest);
        raw.WriteTo(z);
    }

    /// <summary>Writes train (120 images) and test (60) splits under Fashion-MNIST's file names into <paramref name="dir"/>: class c is
    /// a bright 8×8 square at a position set by c on a dim noisy background, so that a tiny classifier learns it in a few steps.</summary>
    public static void WriteSyntheticFashionMnist(string dir)
    {
        var gen = new Generator(99);
        foreach (var (prefix, count) in new[] { ("train", 120), ("t10k", 60) })
        {
            var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
            var pixels = new byte[count * 784];
            for (int i = 0; i < count; i++)
            {
                int c = labels[i], top = 2 + c / 4 * 8, left = 2 + c % 4 * 6;
                for (int y = 0; y < 28; y++)
                    for (int x = 0; x < 28; x++)
                        pixels[i * 784 + y * 28 + x] = y >= top && y < top + 8 && x >= left && x < left + 8 ? (byte)(200 + gen.NextInt(55)) : (byte)gen.NextInt(40);
            }
            Write(Path.Combine(dir, $"{prefix}-images-idx3-ubyte.gz"), 0x803, [count, 28, 28], pixels);
            Write(Path.Combine(dir, $"{prefix}-labels-idx1-ubyte.gz"), 0x801, [count], labels);
        }
    }
}
