using System.Diagnostics;
using System.Text.Json;
using DiffPrune.Tensors;

namespace DiffPrune.Cli;

/// <summary>
/// Turns every failure into an exit code of its class and, for the user's mistakes, one line naming what is wrong and
/// what to do; a bug in the tool itself is printed with its stack trace so that it can be reported.
/// </summary>
internal static class CliErrors
{
    /// <summary>Bad command line: unknown command or option, invalid option value or hyper-parameter.</summary>
    public const int Usage = 2;

    /// <summary>An input file or folder is missing, malformed or of the wrong kind (model, tokenizer, image, config).</summary>
    public const int BadInput = 3;

    /// <summary>Reading or writing failed: permission denied, disk full, output folder locked by another run.</summary>
    public const int IoFailure = 4;

    /// <summary>The request needs more than the limits allow: memory, pixels, positions, scenes.</summary>
    public const int ResourceLimit = 5;

    /// <summary>A bug in diffprune (an engine invariant broke): the stack trace is printed.</summary>
    public const int InternalError = 70;

    /// <summary>Runs <paramref name="command"/>, mapping what it throws to an exit code and a message on stderr.</summary>
    public static int Run(Func<int> command)
    {
        try
        {
            return command();
        }
        catch (Exception e)
        {
            int code = Classify(e);
            bool trace = code == InternalError || Environment.GetEnvironmentVariable("DIFFPRUNE_TRACE") == "1";
            Console.Error.WriteLine(code == InternalError
                ? $"internal error (a bug in diffprune; please report it with this trace): {e}"
                : trace ? $"error: {e}" : $"error: {OneLine(e.Message)}");
            return code;
        }
    }

    /// <summary>The exit code for <paramref name="e"/>.</summary>
    public static int Classify(Exception e) => e switch
    {
        ResourceLimitException or OutOfMemoryException or InsufficientMemoryException => ResourceLimit,
        FileNotFoundException or DirectoryNotFoundException or InvalidDataException or EndOfStreamException or JsonException => BadInput,
        NotSupportedException => BadInput,
        UnauthorizedAccessException or PathTooLongException or IOException => IoFailure,
        ArgumentException when !ThrownByEngineCore(e) => Usage,
        _ => InternalError,
    };

    /// <summary>
    /// The engine's own argument checks (ops, modules, GEMM, optimisers) guard calls made by this code base, never values a
    /// user typed: a failure there is a bug, whereas an argument check elsewhere (options, budgets, configs) is a usage error.
    /// </summary>
    static bool ThrownByEngineCore(Exception e)
    {
        var frame = new StackTrace(e).GetFrames().FirstOrDefault(f => f.GetMethod()?.DeclaringType?.Namespace?.StartsWith("DiffPrune", StringComparison.Ordinal) == true);
        string? ns = frame?.GetMethod()?.DeclaringType?.Namespace;
        return ns != null && ns.StartsWith("DiffPrune.Tensors", StringComparison.Ordinal) && ns != "DiffPrune.Tensors.IO";
    }

    static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
