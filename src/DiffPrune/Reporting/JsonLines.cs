using DiffPrune.Tensors.IO;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DiffPrune.Reporting;

/// <summary>
/// Run logs as JSON lines (one record per line, enums as names, NaN/∞ allowed), the format every long command
/// writes so that a run can be followed with <c>tail -f</c> and read back after an interruption.
/// </summary>
public static class JsonLines
{
    /// <summary>The serializer options of every log and report.</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The records of <paramref name="path"/> (none when the file does not exist).</summary>
    /// <exception cref="InvalidDataException">A line is not a <typeparamref name="T"/> (names file and line).</exception>
    public static List<T> Read<T>(string path)
    {
        if (!File.Exists(path)) return [];
        return File.ReadLines(path).Select((line, i) => (line, i)).Where(p => p.line.Length > 0).Select(p =>
        {
            try { return JsonSerializer.Deserialize<T>(p.line, Options)!; }
            catch (JsonException e) { throw new InvalidDataException($"{path} line {p.i + 1} is not a {typeof(T).Name}: {e.Message}"); }
        }).ToList();
    }

    /// <summary>Replaces the file's content by <paramref name="records"/>, atomically (<see cref="AtomicFile"/>).</summary>
    public static void Write<T>(string path, IEnumerable<T> records) =>
        AtomicFile.WriteAllText(path, string.Concat(records.Select(r => JsonSerializer.Serialize(r, Options) + "\n")));

    /// <summary>Appends one record as one write of the whole line, newline included, flushed to disk before returning: a crash
    /// leaves at most the last line torn, never a record split across writes or lost in a buffer.</summary>
    public static void Append<T>(string path, T record)
    {
        var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(record, Options) + "\n");
        using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
        stream.Write(line);
        stream.Flush(flushToDisk: true);
    }
}
