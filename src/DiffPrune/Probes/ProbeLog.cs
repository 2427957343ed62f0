using DiffPrune.Tensors.IO;
using DiffPrune.Training;

namespace DiffPrune.Probes;

/// <summary>One finished seed of a probe run, with the options that made it (<see cref="ProbeOptions.DescribeSeedRun"/>).</summary>
/// <param name="Options">The options that shape a seed's numbers.</param>
/// <param name="Result">Everything the seed measured.</param>
public sealed record ProbeSeedRecord(string Options, SeedResult Result);

/// <summary>
/// The checkpoint of a probe run: <c>seeds.jsonl</c> in its folder (a <see cref="RunLog{T}"/>), one line per finished seed, appended
/// as the seed ends. A resumed run takes its seeds from there instead of running them again (<see cref="PilotProbe.Run"/>), so an
/// interrupted run loses at most the seed it was in and ends with the report an uninterrupted one writes. Seeds outside the
/// resumed run's range are dropped; a line written with other options is refused.
/// </summary>
public sealed class ProbeLog
{
    /// <summary>The log's name in the run folder.</summary>
    public const string FileName = "seeds.jsonl";

    readonly RunLog<ProbeSeedRecord> _log;
    readonly string _options;

    ProbeLog(RunLog<ProbeSeedRecord> log, string options) => (_log, _options) = (log, options);

    /// <summary>The seeds finished so far, in the order they finished.</summary>
    public IReadOnlyList<SeedResult> Finished => _log.Records.Select(r => r.Result).ToArray();

    /// <summary>Starts the log of a run with <paramref name="options"/> in <paramref name="dir"/>, or with <paramref name="resume"/> continues it.</summary>
    /// <exception cref="ArgumentException">A fresh run into a folder that holds a probe log.</exception>
    /// <exception cref="FileNotFoundException">A resume where there is no log.</exception>
    /// <exception cref="InvalidDataException">The log was written with other options (names the first line that differs), or a line
    /// other than the last is damaged.</exception>
    public static ProbeLog Open(string dir, ProbeOptions options, bool resume)
    {
        string path = Path.Combine(dir, FileName);
        if (!resume && File.Exists(path)) throw new ArgumentException($"{path} exists: continue that probe (--resume), or choose another folder (--out)");
        if (resume && !File.Exists(path)) throw new FileNotFoundException($"no probe log at {path}: nothing to resume; run without --resume", path);
        string identity = options.DescribeSeedRun();
        var log = new RunLog<ProbeSeedRecord>(path, r =>
        {
            if (r.Options == null || r.Result?.Encoders == null) throw new InvalidDataException($"{path} holds a line without options or results: delete the file to start over");
            TrainingCheckpoint.RequireSame(path, "options", r.Options, identity);
            return r.Result.Seed - options.Seed < (ulong)options.Seeds;
        });
        return new ProbeLog(log, identity);
    }

    /// <summary>Appends the seeds of <paramref name="result"/> that the log does not hold yet.</summary>
    public void Add(ProbeResult result)
    {
        foreach (var seed in result.Seeds)
            if (!_log.Records.Any(r => r.Result.Seed == seed.Seed)) _log.Add(new ProbeSeedRecord(_options, seed));
    }
}
