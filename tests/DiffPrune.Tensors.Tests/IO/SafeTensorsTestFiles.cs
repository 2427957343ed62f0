using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace DiffPrune.Tensors.Tests.IO;

/// <summary>A fresh temporary directory, deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    /// <summary>The directory.</summary>
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "diffprune-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Creates the directory.</summary>
    public TempDir() => Directory.CreateDirectory(Path);

    /// <summary>A path inside the directory.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>File names currently in the directory (hidden ones included), sorted.</summary>
    public string[] Listing() => Directory.GetFileSystemEntries(Path).Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    /// <inheritdoc/>
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Builds safetensors files byte by byte, independently of the writer under test.</summary>
public static class SafeTensorsTestFiles
{
    /// <summary>Writes [u64 little-endian header length][header JSON as given][data].</summary>
    public static void WriteRaw(string path, string headerJson, byte[] data)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>One tensor of 16-bit values (F16 or BF16 bit patterns) at data offset 0.</summary>
    public static void WriteSixteenBit(string path, string dtype, string name, int[] shape, ushort[] bits)
    {
        var data = new byte[bits.Length * 2];
        for (int i = 0; i < bits.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(2 * i), bits[i]);
        WriteRaw(path, $"{{\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[0,{data.Length}]}}}}", data);
    }

    /// <summary>Several tensors stored as F16 (values rounded to <see cref="Half"/>), laid out back to back in the given order.</summary>
    public static void WriteHalf(string path, IEnumerable<(string Name, int[] Shape, float[] Values)> tensors)
    {
        var entries = new List<string>();
        var data = new List<byte>();
        foreach (var (name, shape, values) in tensors)
        {
            int begin = data.Count;
            foreach (var v in values)
            {
                ushort h = BitConverter.HalfToUInt16Bits((Half)v);
                data.Add((byte)h);
                data.Add((byte)(h >> 8));
            }
            entries.Add($"\"{name}\":{{\"dtype\":\"F16\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{begin},{data.Count}]}}");
        }
        WriteRaw(path, "{" + string.Join(",", entries) + "}", data.ToArray());
    }

    /// <summary>Full path of a file in IO/Fixtures of the test sources.</summary>
    public static string Fixture(string name, [CallerFilePath] string thisFile = "")
    {
        var beside = Path.Combine(Path.GetDirectoryName(thisFile) ?? "", "Fixtures", name);
        if (File.Exists(beside)) return beside;
        // sources moved since the build (path-mapped builds): walk up from the test binaries to the repository
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "DiffPrune.Tensors.Tests", "IO", "Fixtures", name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"fixture {name} not found beside {thisFile} nor above {AppContext.BaseDirectory}");
    }

    /// <summary>Float bit patterns, so comparisons are exact (NaN and -0.0 included).</summary>
    public static int[] Bits(ReadOnlySpan<float> values)
    {
        var bits = new int[values.Length];
        for (int i = 0; i < values.Length; i++) bits[i] = BitConverter.SingleToInt32Bits(values[i]);
        return bits;
    }
}
