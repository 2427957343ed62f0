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
}
