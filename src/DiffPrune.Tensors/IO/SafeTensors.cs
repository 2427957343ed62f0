using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace DiffPrune.Tensors.IO;

/// <summary>
/// Whole-file safetensors helpers: load every tensor, read the metadata, save float32 tensors atomically.
/// For reading a few tensors out of a large file use <see cref="SafeTensorsFile"/>.
/// </summary>
public static class SafeTensors
{
    /// <summary>Reads every tensor of <paramref name="path"/> as float32, in ordinal key order, each named by its key.</summary>
    /// <exception cref="InvalidDataException">The file is malformed (see <see cref="SafeTensorsFile.Open"/>).</exception>
    /// <exception cref="NotSupportedException">A tensor's dtype is not F32, F16 or BF16.</exception>
    public static Dictionary<string, Tensor> Load(string path)
    {
        using var file = SafeTensorsFile.Open(path);
        var tensors = new Dictionary<string, Tensor>(file.Names.Count, StringComparer.Ordinal);
        foreach (var name in file.Names) tensors.Add(name, file.Read(name));
        return tensors;
    }

    /// <summary>The <c>__metadata__</c> strings of <paramref name="path"/> (empty when absent). The header is validated; no tensor is read.</summary>
    /// <exception cref="InvalidDataException">The file is malformed.</exception>
    public static Dictionary<string, string> ReadMetadata(string path)
    {
        using var file = SafeTensorsFile.Open(path);
        return new Dictionary<string, string>(file.Metadata, StringComparer.Ordinal);
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> as an F32 safetensors file: keys in ordinal order, data back to back,
    /// header space-padded to a multiple of 8 bytes, <paramref name="metadata"/> (when given) as <c>__metadata__</c>.
    /// The write is atomic (<see cref="AtomicFile"/>): on failure an existing file at <paramref name="path"/> is untouched.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor is null, a key is <c>__metadata__</c>, or a metadata value is null.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors writing needs a little-endian machine");
        var entries = tensors.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        foreach (var (name, t) in entries)
        {
            if (name == SafeTensorsHeader.MetadataKey) throw new ArgumentException($"'{name}' is reserved for metadata and cannot name a tensor", nameof(tensors));
            if (t is null) throw new ArgumentException($"tensor '{name}' is null", nameof(tensors));
        }
        if (metadata != null)
            foreach (var (k, v) in metadata)
                if (v is null) throw new ArgumentException($"metadata '{k}' is null", nameof(metadata));

        var header = SafeTensorsHeader.BuildF32(entries.Select(p => (p.Key, p.Value.Shape)).ToList(), metadata);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
            stream.Write(prefix);
            stream.Write(header);
            foreach (var (_, t) in entries) WriteF32(stream, t.Data);
        });
    }

    static void WriteF32(Stream stream, ReadOnlySpan<float> data)
    {
        const int chunk = 1 << 24; // floats per write: AsBytes of more than 2 GiB would overflow a span
        for (int start = 0; start < data.Length; start += chunk)
            stream.Write(MemoryMarshal.AsBytes(data.Slice(start, Math.Min(chunk, data.Length - start))));
    }
}
