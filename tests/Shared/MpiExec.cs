using System.Diagnostics;

namespace DiffPrune.Testing;

/// <summary>Starts a .NET program on several ranks with mpiexec (MPICH's Hydra or Open MPI's) and captures its output.</summary>
public static class MpiExec
{
    /// <summary>mpiexec's full path on PATH, or null.</summary>
    public static string? Launcher { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
        .Select(dir => Path.Combine(dir, "mpiexec")).FirstOrDefault(File.Exists);

    /// <summary>Why a test that needs mpiexec did not run.</summary>
    public const string Missing = "mpiexec not found: apt-get install mpich libmpich-dev to run this test";

    /// <summary>
    /// Exit code, standard output and standard error of <c>mpiexec -n <paramref name="ranks"/> dotnet <paramref name="dll"/>
    /// <paramref name="args"/></c>; fails the test (after ending the whole process tree) when it runs past <paramref name="timeout"/>.
    /// </summary>
    public static (int Exit, string Out, string Error) Run(int ranks, string dll, IEnumerable<string> args, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null) =>
        Start(Launcher ?? throw new InvalidOperationException(Missing), ["-n", ranks.ToString(), "dotnet", dll, .. args], timeout, environment);

    /// <summary>The same for <c>dotnet <paramref name="dll"/> <paramref name="args"/></c> as one process, without mpiexec.</summary>
    public static (int Exit, string Out, string Error) RunAlone(string dll, IEnumerable<string> args, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null) =>
        Start("dotnet", [dll, .. args], timeout, environment);

    static (int Exit, string Out, string Error) Start(string file, IEnumerable<string> args, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        // Open MPI's mpiexec refuses to run as root (containers, CI) unless told; MPICH ignores these
        info.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        info.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', info.ArgumentList)} still ran after {timeout.TotalSeconds:F0} s; stderr so far: {(error.IsCompleted ? error.Result : "")}");
        }
        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }
}

/// <summary>A fact that needs mpiexec; reported as skipped, with the package to install, where it is missing.</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    /// <summary>Skips unless mpiexec is on PATH.</summary>
    public MpiFactAttribute()
    {
        if (MpiExec.Launcher == null) Skip = MpiExec.Missing;
    }
}
