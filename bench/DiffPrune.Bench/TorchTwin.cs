using System.Diagnostics;
using System.Globalization;

namespace DiffPrune.Bench;

/// <summary>
/// The PyTorch twin of a benchmark (tools/bench_torch.py), kept running in one process so that torch is imported once
/// and its runs interleave with the engine's. Optional: <see cref="Start"/> returns null, saying why, when
/// /usr/bin/python3, torch or the script is missing.
/// </summary>
internal sealed class TorchTwin : IDisposable
{
    const string Python = "/usr/bin/python3";
    readonly Process _process;

    TorchTwin(Process process) => _process = process;

    /// <summary>Starts the twin, or returns null after printing why it cannot run.</summary>
    public static TorchTwin? Start()
    {
        var script = FindScript();
        if (script == null || !File.Exists(Python))
        {
            Console.WriteLine($"  (PyTorch twin skipped: {(script == null ? "tools/bench_torch.py not found above the working directory" : Python + " is missing")})");
            return null;
        }
        var info = new ProcessStartInfo(Python, [script, "serve"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(info)!;
        var ready = process.StandardOutput.ReadLine();
        if (ready == "ready") return new TorchTwin(process);
        string error = process.StandardError.ReadToEnd().Trim().Split('\n').LastOrDefault() ?? "";
        Console.WriteLine($"  (PyTorch twin skipped: {error})");
        process.Dispose();
        return null;
    }

    /// <summary>Median ms of <paramref name="runs"/> fwd+bwd steps of the block on <paramref name="threads"/> torch threads.</summary>
    public double BlockMs(int threads, int runs) => Ms("block", threads, runs);

    /// <summary>Median ms of <paramref name="runs"/> pruner training steps on <paramref name="threads"/> torch threads.</summary>
    public double TrainMs(int threads, int runs) => Ms("train", threads, runs);

    double Ms(string what, int threads, int runs)
    {
        _process.StandardInput.WriteLine($"{what} {threads} {runs}");
        _process.StandardInput.Flush();
        var line = _process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the PyTorch twin ended without an answer");
        string prefix = what + "_ms=";
        if (!line.StartsWith(prefix, StringComparison.Ordinal)) throw new InvalidOperationException($"the PyTorch twin answered '{line}'");
        return double.Parse(line[prefix.Length..], CultureInfo.InvariantCulture);
    }

    static string? FindScript()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tools", "bench_torch.py");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.WriteLine("quit");
            _process.StandardInput.Close();
            if (!_process.WaitForExit(5000)) _process.Kill();
        }
        finally
        {
            _process.Dispose();
        }
    }
}
