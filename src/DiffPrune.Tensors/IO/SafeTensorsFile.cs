using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace DiffPrune.Tensors.IO;

/// <summary>
/// A safetensors file opened for reading through a memory map: the header is parsed and validated on
/// <see cref="Open"/>, tensor bytes are touched only when a tensor is read, and F32, F16 and BF16 data are
/// converted to float32 tensors. Reading is safe from several threads; <see cref="Dispose"/> is not.
/// </summary>
/// <remarks>
/// Layout: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// (<c>{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}</c>), then the data
/// buffer that the offsets index. Errors name the file and, where one is at fault, the tensor.
/// </remarks>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    // Convert at most this many elements per span: spans are int-indexed, tensors may exceed 2 GiB of bytes.
    const int ChunkElements = 1 << 24;

    readonly MemoryMappedFile _map;
    readonly MemoryMappedViewAccessor _view;
    readonly SafeTensorsHeader _header;
    byte* _data; // start of the data buffer inside the mapped view; null once disposed

    /// <summary>The path the file was opened with (used in every error message).</summary>
    public string Path { get; }

    /// <summary>The tensor names, sorted ordinally.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The <c>__metadata__</c> strings (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata => _header.Metadata;

    /// <summary>Size in bytes of the data buffer that follows the header.</summary>
    public long DataLength { get; }

    SafeTensorsFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, SafeTensorsHeader header, long dataStart, long dataLength)
    {
        Path = path;
        _map = map;
        _view = view;
        _header = header;
        DataLength = dataLength;
        Names = header.Entries.Keys.Order(StringComparer.Ordinal).ToArray();
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _data = p + view.PointerOffset + dataStart;
    }

    /// <summary>Opens <paramref name="path"/>, reads and validates its header and maps it for reading.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">
    /// A folder, pipe or empty file is there. The file is shorter than its header says, the header is not a JSON object of well-formed entries, a dtype is
    /// unknown, a shape is negative, data_offsets run past the file, overlap, or do not match shape × dtype size,
    /// or a name is declared twice.
    /// </exception>
    public static SafeTensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors reading needs a little-endian machine");
        InputFile.CheckRegular(path, "safetensors");
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        MemoryMappedFile? map = null;
        try
        {
            long length = stream.Length;
            if (length < 8)
                throw new InvalidDataException($"{path}: file is {length} bytes, shorter than the 8-byte header length that starts a safetensors file");
            Span<byte> prefix = stackalloc byte[8];
            stream.ReadExactly(prefix);
            ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (n > (ulong)(length - 8))
                throw new InvalidDataException($"{path}: header length {n} runs past the end of the file ({length} bytes); the file is truncated or not safetensors");
            if (n > SafeTensorsHeader.MaxHeaderBytes)
                throw new InvalidDataException($"{path}: header length {n} exceeds the {SafeTensorsHeader.MaxHeaderBytes}-byte limit");
            var json = new byte[n];
            stream.ReadExactly(json);
            long dataStart = 8 + (long)n;
            var header = SafeTensorsHeader.Parse(json, length - dataStart, path);
            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            return new SafeTensorsFile(path, map, view, header, dataStart, length - dataStart);
        }
        catch
        {
            if (map != null) map.Dispose(); // owns the stream
            else stream.Dispose();
            throw;
        }
    }

    /// <summary>True when the file holds a tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name) => _header.Entries.ContainsKey(name);

    /// <summary>The shape of <paramref name="name"/> as declared in the header (a copy).</summary>
    /// <exception cref="KeyNotFoundException">No such tensor; the message names the file.</exception>
    public int[] ShapeOf(string name) => (int[])Entry(name).Shape.Clone();

    /// <summary>The stored element type of <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor; the message names the file.</exception>
    public SafeTensorsDType DTypeOf(string name) => Entry(name).DType;

    /// <summary>Reads <paramref name="name"/> into a new float32 tensor whose <see cref="Tensor.Name"/> is the key.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    /// <exception cref="NotSupportedException">The tensor's dtype is not F32, F16 or BF16.</exception>
    /// <exception cref="InvalidDataException">The tensor has more elements than a <see cref="Tensor"/> can hold.</exception>
    public Tensor Read(string name)
    {
        var e = Entry(name);
        CheckReadable(e);
        if (e.Numel > Array.MaxLength)
            throw new InvalidDataException($"{Path}: tensor '{name}' {ShapeUtil.Format(e.Shape)} has {e.Numel} elements, more than a Tensor holds ({Array.MaxLength})");
        var t = Tensor.Wrap(GC.AllocateUninitializedArray<float>((int)e.Numel), e.Shape);
        Convert(e, t.Data);
        t.Name = name;
        return t;
    }

    /// <summary>
    /// Converts <paramref name="name"/> to float32 into <paramref name="destination"/>, which must hold exactly its
    /// number of elements (e.g. a parameter's <see cref="Tensor.Data"/>, so loading needs no second copy).
    /// </summary>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    /// <exception cref="NotSupportedException">The tensor's dtype is not F32, F16 or BF16.</exception>
    /// <exception cref="ArgumentException">The destination's length differs from the tensor's element count.</exception>
    public void ReadInto(string name, Span<float> destination)
    {
        var e = Entry(name);
        CheckReadable(e);
        if (destination.Length != e.Numel)
            throw new ArgumentException($"{Path}: tensor '{name}' {ShapeUtil.Format(e.Shape)} has {e.Numel} elements but the destination holds {destination.Length}", nameof(destination));
        Convert(e, destination);
    }

    void Convert(SafeTensorsEntry e, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_data == null, this);
        int size = e.DType.ElementSize();
        byte* src = _data + e.Begin;
        for (int start = 0; start < destination.Length; start += ChunkElements)
        {
            int count = Math.Min(ChunkElements, destination.Length - start);
            var bytes = new ReadOnlySpan<byte>(src + (long)start * size, count * size);
            var dst = destination.Slice(start, count);
            switch (e.DType)
            {
                case SafeTensorsDType.F32:
                    bytes.CopyTo(MemoryMarshal.AsBytes(dst));
                    break;
                case SafeTensorsDType.F16:
                    TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(bytes), dst);
                    break;
                case SafeTensorsDType.BF16:
                    BFloat16ToSingle(MemoryMarshal.Cast<byte, ushort>(bytes), dst);
                    break;
                default:
                    throw new InvalidOperationException($"unreachable: {e.DType}");
            }
        }
    }

    /// <summary>bfloat16 is the upper half of a float32: widening is a 16-bit left shift of the bits (exact).</summary>
    static void BFloat16ToSingle(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        for (int i = 0; i < src.Length; i++) dst[i] = BitConverter.Int32BitsToSingle(src[i] << 16);
    }

    void CheckReadable(SafeTensorsEntry e)
    {
        if (!e.DType.IsReadable())
            throw new NotSupportedException($"{Path}: tensor '{e.Name}' has dtype {e.DType.HeaderName()}, which is not read as float32 (supported: {SafeTensorsDTypes.Readable})");
    }

    SafeTensorsEntry Entry(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_header.Entries.TryGetValue(name, out var e)) return e;
        throw new KeyNotFoundException($"{Path}: no tensor '{name}' (the file holds {_header.Entries.Count} tensors)");
    }

    /// <summary>Unmaps the file. Tensors already read stay valid (they own their data).</summary>
    public void Dispose()
    {
        if (_data == null) return;
        _data = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
