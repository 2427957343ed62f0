using System.Text.Json;
using DiffPrune.Reporting;

namespace DiffPrune.Training;

/// <summary>One JSON-lines log of a run (<see cref="JsonLines"/>). Opening it for a run that continues keeps only the records the
/// continued run does not take again, so the file always describes one uninterrupted run; a torn last line (a crash in the
/// middle of an append) is dropped, any other unreadable line is an error.</summary>
/// <typeparam name="T">The record type.</typeparam>
public sealed class RunLog<T>
{
    readonly string _path;

    /// <summary>Every record, in order.</summary>
    public List<T> Records { get; }

    /// <summary>Opens (or starts) <paramref name="path"/>, keeping the records <paramref name="keep"/> accepts, and rewrites it with them.</summary>
    /// <exception cref="InvalidDataException">A line other than the last is not a <typeparamref name="T"/>.</exception>
    public RunLog(string path, Func<T, bool> keep)
    {
        _path = path;
        var lines = File.Exists(path) ? File.ReadAllLines(path).Where(l => l.Length > 0).ToArray() : [];
        if (lines.Length > 0 && !Parses(lines[^1])) File.WriteAllLines(path, lines[..^1]);
        Records = JsonLines.Read<T>(path).Where(keep).ToList();
        JsonLines.Write(path, Records);
    }

    static bool Parses(string line)
    {
        try { return JsonSerializer.Deserialize<T>(line, JsonLines.Options) != null; }
        catch (JsonException) { return false; }
    }

    /// <summary>Appends <paramref name="record"/>.</summary>
    public void Add(T record)
    {
        Records.Add(record);
        JsonLines.Append(_path, record);
    }
}
