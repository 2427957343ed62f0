using System.Reflection;

[assembly: CollectionBehavior(DisableTestParallelization = true)] // the runs share Console.Out and Console.Error

namespace DiffPrune.Cli.Tests;

/// <summary>Runs the diffprune command line in-process, as a shell would, and captures what it prints.</summary>
public static class Cli
{
    static readonly MethodInfo EntryPoint = Assembly.Load("diffprune").EntryPoint
        ?? throw new InvalidOperationException("the diffprune assembly has no entry point");

    /// <summary>Exit code, standard output and standard error of <c>diffprune args</c>.</summary>
    public static (int Exit, string Out, string Error) Run(params string[] args)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        using var output = new StringWriter();
        using var error = new StringWriter();
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            int exit = (int)EntryPoint.Invoke(null, [args])!;
            return (exit, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }

    /// <summary>Runs a command that must fail with <paramref name="exit"/> (any non-zero code when null): nothing on stdout,
    /// one line on stderr starting "error: " and holding every fragment.</summary>
    public static void Fails(int? exit, string[] args, params string[] fragments)
    {
        var (code, output, error) = Run(args);
        if (exit is int expected) Assert.Equal(expected, code);
        else Assert.NotEqual(0, code);
        Assert.Equal("", output);
        var lines = error.TrimEnd('\n').Split('\n');
        Assert.True(lines.Length == 1, $"expected one line, got: {error}");
        Assert.StartsWith("error: ", lines[0]);
        foreach (var f in fragments) Assert.Contains(f, lines[0]);
    }
}
