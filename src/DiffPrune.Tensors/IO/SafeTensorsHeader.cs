using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace DiffPrune.Tensors.IO;

/// <summary>One tensor of a safetensors header: dtype, shape and byte range in the data buffer.</summary>
internal sealed record SafeTensorsEntry(string Name, SafeTensorsDType DType, int[] Shape, long Numel, long Begin, long End);

/// <summary>
/// The JSON header of a safetensors file: parsing with validation, and building (F32 only).
/// <code>
/// [u64 little-endian N][N bytes UTF-8 JSON, space padded][data buffer]
/// {"__metadata__": {"k": "v"}, "a.weight": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...}
/// </code>
/// Offsets are relative to the start of the data buffer. Every error names the file and, where one is at
/// fault, the tensor.
/// </summary>
internal sealed class SafeTensorsHeader
{
    /// <summary>The reserved key of the optional string-to-string metadata object.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>Largest header accepted (the reference implementation's limit), so a corrupt length cannot exhaust memory.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Tensors by name.</summary>
    public required Dictionary<string, SafeTensorsEntry> Entries { get; init; }

    /// <summary>The <c>__metadata__</c> object (empty when absent).</summary>
    public required Dictionary<string, string> Metadata { get; init; }

    /// <summary>Parses and validates <paramref name="json"/> against a data buffer of <paramref name="dataLength"/> bytes.</summary>
    /// <exception cref="InvalidDataException">Anything that is not a well-formed safetensors header; the message starts with <paramref name="file"/>.</exception>
    public static SafeTensorsHeader Parse(byte[] json, long dataLength, string file)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json))
            throw new InvalidDataException($"{file}: header is not valid UTF-8");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file}: header is not valid JSON ({e.Message})", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{file}: header is a JSON {Kind(root)}, expected an object of tensors");
            var entries = new Dictionary<string, SafeTensorsEntry>(StringComparer.Ordinal);
            Dictionary<string, string>? metadata = null;
            foreach (var prop in root.EnumerateObject())
            {
                if (prop.Name == MetadataKey)
                {
                    if (metadata != null) throw new InvalidDataException($"{file}: '{MetadataKey}' is declared twice");
                    metadata = ParseMetadata(prop.Value, file);
                    continue;
                }
                if (entries.ContainsKey(prop.Name)) throw new InvalidDataException($"{file}: tensor '{prop.Name}' is declared twice");
                entries.Add(prop.Name, ParseEntry(prop.Name, prop.Value, dataLength, file));
            }
            CheckNoOverlap(entries.Values, file);
            return new SafeTensorsHeader { Entries = entries, Metadata = metadata ?? new(StringComparer.Ordinal) };
        }
    }

    static Dictionary<string, string> ParseMetadata(JsonElement value, string file)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{file}: '{MetadataKey}' is a JSON {Kind(value)}, expected an object of strings");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in value.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{file}: '{MetadataKey}' entry '{p.Name}' is a JSON {Kind(p.Value)}, expected a string");
            if (!metadata.TryAdd(p.Name, p.Value.GetString()!))
                throw new InvalidDataException($"{file}: '{MetadataKey}' entry '{p.Name}' is declared twice");
        }
        return metadata;
    }

    static SafeTensorsEntry ParseEntry(string name, JsonElement value, long dataLength, string file)
    {
        string at = $"{file}: tensor '{name}'";
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{at}: entry is a JSON {Kind(value)}, expected an object with dtype, shape and data_offsets");

        if (!value.TryGetProperty("dtype", out var dtypeEl)) throw new InvalidDataException($"{at}: entry has no 'dtype'");
        if (dtypeEl.ValueKind != JsonValueKind.String) throw new InvalidDataException($"{at}: 'dtype' is a JSON {Kind(dtypeEl)}, expected a string");
        string dtypeName = dtypeEl.GetString()!;
        if (!SafeTensorsDTypes.TryParse(dtypeName, out var dtype))
            throw new InvalidDataException($"{at}: unknown dtype '{dtypeName}' (supported: {SafeTensorsDTypes.Readable})");

        if (!value.TryGetProperty("shape", out var shapeEl)) throw new InvalidDataException($"{at}: entry has no 'shape'");
        if (shapeEl.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{at}: 'shape' is a JSON {Kind(shapeEl)}, expected an array of sizes");
        var shape = new int[shapeEl.GetArrayLength()];
        long numel = 1;
        int i = 0;
        foreach (var d in shapeEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long size))
                throw new InvalidDataException($"{at}: shape {shapeEl.GetRawText()} must hold integers");
            if (size < 0) throw new InvalidDataException($"{at}: shape {shapeEl.GetRawText()} has a negative dimension");
            if (size > int.MaxValue) throw new InvalidDataException($"{at}: shape {shapeEl.GetRawText()} has a dimension above {int.MaxValue}");
            shape[i++] = (int)size;
            // numel ≤ 2^63 / 8 keeps numel × element size in range; no real file comes near it
            if (size != 0 && numel > (long.MaxValue / 8) / size)
                throw new InvalidDataException($"{at}: shape {shapeEl.GetRawText()} has too many elements");
            numel *= size;
        }

        if (!value.TryGetProperty("data_offsets", out var offEl)) throw new InvalidDataException($"{at}: entry has no 'data_offsets'");
        if (offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
            throw new InvalidDataException($"{at}: 'data_offsets' must be an array [begin, end], got {offEl.GetRawText()}");
        if (!TryGetInt64(offEl[0], out long begin) || !TryGetInt64(offEl[1], out long end) || begin < 0 || end < begin)
            throw new InvalidDataException($"{at}: data_offsets {offEl.GetRawText()} must be integers with 0 ≤ begin ≤ end");
        string offsets = $"data_offsets [{begin}, {end}]";
        if (end > dataLength)
            throw new InvalidDataException($"{at}: {offsets} run past the end of the data buffer ({dataLength} bytes; the file is truncated or the header is wrong)");
        long need = numel * dtype.ElementSize();
        if (end - begin != need)
            throw new InvalidDataException($"{at}: size mismatch: {offsets} hold {end - begin} bytes but shape {ShapeUtil.Format(shape)} of {dtype.HeaderName()} needs {need}");
        return new SafeTensorsEntry(name, dtype, shape, numel, begin, end);
    }

    static bool TryGetInt64(JsonElement e, out long v)
    {
        v = 0;
        return e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out v);
    }

    /// <summary>Two tensors must not share bytes (empty tensors occupy none).</summary>
    static void CheckNoOverlap(IEnumerable<SafeTensorsEntry> entries, string file)
    {
        SafeTensorsEntry? prev = null;
        foreach (var e in entries.Where(e => e.End > e.Begin).OrderBy(e => e.Begin))
        {
            if (prev != null && e.Begin < prev.End)
                throw new InvalidDataException(
                    $"{file}: tensor '{e.Name}' data_offsets [{e.Begin}, {e.End}] overlap tensor '{prev.Name}' data_offsets [{prev.Begin}, {prev.End}]");
            prev = e;
        }
    }

    static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();

    /// <summary>
    /// Builds the header of an all-F32 file whose tensors are laid out in the given order, back to back, followed by
    /// spaces up to a multiple of 8 bytes (so the data buffer is 8-byte aligned, as the reference writer does).
    /// The <c>__metadata__</c> object comes first and is omitted when <paramref name="metadata"/> is null.
    /// </summary>
    public static byte[] BuildF32(IReadOnlyList<(string Name, int[] Shape)> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (metadata != null)
            {
                w.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal)) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, shape) in tensors)
            {
                long bytes = 4L * ShapeUtil.Numel(shape);
                w.WriteStartObject(name);
                w.WriteString("dtype", "F32");
                w.WriteStartArray("shape");
                foreach (int d in shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes;
            }
            w.WriteEndObject();
        }
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }
}
