using System.Text.Json;
using DiffPrune.Reporting;

namespace DiffPrune.Training;

/// <summary>One JSON-lines log of a run (<see cref="JsonLines"/>). Opening it for a run that continues keeps only the records the
/// continued run does not take again, so the file always describes one uninterrupted run; a torn last line (a crash in the
/// middle of an append) is dropped, any other unreadable line is an error.</summary>
/// <typeparam name="T">The record type.</typeparam>
public sealed class RunLog<T> where T : class
{
    readonly string _path;

    /// <summary>Every record, in order.</summary>
    public List<T> Records { get; }

    /// <summary>Opens (or starts) <paramref name="path"/>, keeping the records <paramref name="keep"/> accepts, and rewrites it with them (atomically).</summary>
    /// <exception cref="InvalidDataException">A line other than the last is not a <typeparamref name="T"/> (names the file and line).</exception>
    public RunLog(string path, Func<T, bool> keep)
    {
        _path = path;
        var lines = File.Exists(path) ? File.ReadAllLines(path) : [];
        int last = Array.FindLastIndex(lines, l => l.Trim().Length > 0);
        Records = [];
        for (int i = 0; i <= last; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            var record = Parse(lines[i]);
            if (record == null && i == last) break;   // torn by a crash in the middle of its append: the run takes that step again
            if (record == null) throw new InvalidDataException($"{path} line {i + 1} is not a {typeof(T).Name} record: repair or delete that line (or the file) and resume again");
            if (keep(record)) Records.Add(record);
        }
        JsonLines.Write(path, Records);
    }

    static T? Parse(string line)
    {
        try { return JsonSerializer.Deserialize<T>(line, JsonLines.Options); }
        catch (JsonException) { return default; }
    }

    /// <summary>Appends <paramref name="record"/>.</summary>
    public void Add(T record)
    {
        Records.Add(record);
        JsonLines.Append(_path, record);
    }
}
