using System.Buffers.Binary;
using System.Text;

namespace DiffPrune.Tensors.Tests.Golden;

/// <summary>One named float32 tensor of a fixture: its shape and row-major values.</summary>
public sealed record GoldenTensor(string Name, int[] Shape, float[] Data)
{
    /// <summary>A fresh engine tensor holding a copy of the values (not requiring grad).</summary>
    public Tensor ToTensor() => Tensor.FromArray(Data, Shape);

    /// <summary>"name [2, 5, 32]".</summary>
    public string Describe() => $"{Name} {ShapeUtil.Format(Shape)}";
}

/// <summary>
/// A PyTorch reference fixture written by <c>tools/make_golden.py</c>. Format, little-endian:
/// magic "DPGF", int32 version (1), int32 count, then per tensor: int32 name length, UTF-8 name, int32 rank,
/// int32 dims[rank], float32 data[Π dims]. Every malformed file is an <see cref="InvalidDataException"/> that
/// names the file, the byte offset and, where known, the tensor.
/// </summary>
public sealed class GoldenFile
{
    /// <summary>The four bytes every fixture starts with.</summary>
    public static ReadOnlySpan<byte> Magic => "DPGF"u8;

    /// <summary>The only format version this reader understands.</summary>
    public const int Version = 1;

    // Limits that turn a corrupt length field into a clear error instead of a huge allocation.
    const int MaxNameBytes = 4096, MaxRank = 8;

    readonly Dictionary<string, GoldenTensor> _byName;

    /// <summary>Where the fixture came from (a path, or a label for in-memory data).</summary>
    public string Source { get; }

    /// <summary>The tensors in file order.</summary>
    public IReadOnlyList<GoldenTensor> Tensors { get; }

    /// <summary>Tensor names in file order.</summary>
    public IEnumerable<string> Names => Tensors.Select(t => t.Name);

    GoldenFile(string source, List<GoldenTensor> tensors)
    {
        Source = source;
        Tensors = tensors;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>True when the fixture holds a tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The tensor called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor; the message lists what the file holds.</exception>
    public GoldenTensor this[string name] => _byName.TryGetValue(name, out var t) ? t
        : throw new KeyNotFoundException($"{Source}: no tensor '{name}' (it holds: {string.Join(", ", Names)}); regenerate with python3 tools/make_golden.py");

    /// <summary>A fresh engine tensor with the values of <paramref name="name"/>.</summary>
    public Tensor Tensor(string name) => this[name].ToTensor();

    /// <summary>The full path of a committed fixture in the test output folder (Golden/Fixtures/<paramref name="fileName"/>).</summary>
    public static string FixturePath(string fileName) => Path.Combine(AppContext.BaseDirectory, "Golden", "Fixtures", fileName);

    /// <summary>Loads a committed fixture by file name (see <see cref="FixturePath"/>).</summary>
    /// <exception cref="FileNotFoundException">The fixture is missing from the test output folder.</exception>
    public static GoldenFile LoadFixture(string fileName) => Load(FixturePath(fileName));

    /// <summary>Reads a fixture file.</summary>
    /// <exception cref="FileNotFoundException">No such file (the message says how to make it).</exception>
    /// <exception cref="InvalidDataException">The file is not a valid version-1 fixture.</exception>
    public static GoldenFile Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"golden fixture {path} not found; it is committed under tests/DiffPrune.Tensors.Tests/Golden/Fixtures " +
                "and copied to the test output by the csproj (regenerate with python3 tools/make_golden.py)", path);
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses fixture bytes; <paramref name="source"/> names them in error messages.</summary>
    /// <exception cref="InvalidDataException">Bad magic, unknown version, truncation, corrupt header fields, duplicate names or trailing bytes.</exception>
    public static GoldenFile Parse(ReadOnlySpan<byte> bytes, string source)
    {
        int at = 0;
        string context = "header";

        InvalidDataException Bad(string what) => new($"{source}: {what} (byte offset {at}, in {context})");

        ReadOnlySpan<byte> Take(ReadOnlySpan<byte> all, int n, string what)
        {
            if (n < 0 || all.Length - at < n)
                throw Bad($"truncated: {what} needs {n} bytes but only {all.Length - at} remain of {all.Length}");
            var s = all.Slice(at, n);
            at += n;
            return s;
        }

        if (bytes.Length < Magic.Length || !bytes[..Magic.Length].SequenceEqual(Magic))
        {
            var head = Convert.ToHexString(bytes[..Math.Min(bytes.Length, Magic.Length)]);
            throw Bad($"bad magic: expected \"DPGF\" (44504746), found {(head.Length == 0 ? "an empty file" : head)}; not a golden fixture");
        }
        at = Magic.Length;
        int version = BinaryPrimitives.ReadInt32LittleEndian(Take(bytes, 4, "version"));
        if (version != Version)
            throw Bad($"unsupported version {version}; this reader understands version {Version} (regenerate with python3 tools/make_golden.py)");
        int count = BinaryPrimitives.ReadInt32LittleEndian(Take(bytes, 4, "tensor count"));
        if (count < 0) throw Bad($"negative tensor count {count}");

        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        var tensors = new List<GoldenTensor>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int k = 0; k < count; k++)
        {
            context = $"tensor {k} of {count}";
            int nameLen = BinaryPrimitives.ReadInt32LittleEndian(Take(bytes, 4, "name length"));
            if (nameLen <= 0 || nameLen > MaxNameBytes) throw Bad($"name length {nameLen} is outside 1..{MaxNameBytes}");
            string name;
            try { name = utf8.GetString(Take(bytes, nameLen, "name")); }
            catch (DecoderFallbackException) { throw Bad("name is not valid UTF-8"); }
            context = $"tensor {k} of {count} '{name}'";
            if (!seen.Add(name)) throw Bad($"duplicate tensor name '{name}'");
            int rank = BinaryPrimitives.ReadInt32LittleEndian(Take(bytes, 4, "rank"));
            if (rank < 0 || rank > MaxRank) throw Bad($"rank {rank} is outside 0..{MaxRank}");
            var dims = Take(bytes, 4 * rank, "dims");
            var shape = new int[rank];
            long numel = 1;
            for (int i = 0; i < rank; i++)
            {
                shape[i] = BinaryPrimitives.ReadInt32LittleEndian(dims.Slice(4 * i, 4));
                if (shape[i] < 0) throw Bad($"negative dimension {shape[i]} in shape {ShapeUtil.Format(shape)}");
                numel *= shape[i];
                if (numel * 4 > bytes.Length) throw Bad($"shape {ShapeUtil.Format(shape)} needs more data than the whole file holds");
            }
            var raw = Take(bytes, (int)numel * 4, $"data of shape {ShapeUtil.Format(shape)}");
            var data = new float[numel];
            for (int i = 0; i < data.Length; i++) data[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.Slice(4 * i, 4));
            tensors.Add(new GoldenTensor(name, shape, data));
        }
        context = "end of file";
        if (at != bytes.Length) throw Bad($"{bytes.Length - at} trailing bytes after the last of {count} tensors");
        return new GoldenFile(source, tensors);
    }

    /// <summary>Writes tensors in the fixture format (the readers' tests build files with it).</summary>
    public static byte[] Write(IEnumerable<GoldenTensor> tensors)
    {
        var list = tensors.ToList();
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true)) // BinaryWriter is little-endian on every platform
        {
            w.Write(Magic);
            w.Write(Version);
            w.Write(list.Count);
            foreach (var t in list)
            {
                var name = Encoding.UTF8.GetBytes(t.Name);
                w.Write(name.Length);
                w.Write(name);
                w.Write(t.Shape.Length);
                foreach (int d in t.Shape) w.Write(d);
                foreach (float v in t.Data) w.Write(v);
            }
        }
        return ms.ToArray();
    }
}
