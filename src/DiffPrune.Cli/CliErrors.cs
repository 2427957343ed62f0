using System.Diagnostics;
using System.Text.Json;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Distributed;
using DiffPrune.Training;

namespace DiffPrune.Cli;

/// <summary>
/// Turns every failure into an exit code of its class and, for the user's mistakes, one line naming what is wrong and
/// what to do; a bug in the tool itself is printed with its stack trace so that it can be reported. Under mpiexec with
/// several ranks any failure of a rank ends every rank (MPI_Abort) after one message: the other ranks may be waiting for
/// it in a collective and would otherwise hang.
/// </summary>
internal static class CliErrors
{
    /// <summary>Bad command line or settings: unknown command or option, invalid option value or hyper-parameter (also one that makes
    /// training diverge), a bad <c>DIFFPRUNE_THREADS</c> or <c>DIFFPRUNE_BLAS</c>.</summary>
    public const int Usage = 2;

    /// <summary>An input file or folder is missing, malformed or of the wrong kind (model, tokenizer, image, config, MPI library).</summary>
    public const int BadInput = 3;

    /// <summary>Reading or writing failed: permission denied, disk full, output folder locked by another run.</summary>
    public const int IoFailure = 4;

    /// <summary>The request needs more than the limits allow: memory, pixels, positions, scenes.</summary>
    public const int ResourceLimit = 5;

    /// <summary>A bug in diffprune (an engine invariant broke): the stack trace is printed.</summary>
    public const int InternalError = 70;

    /// <summary>
    /// How long a rank other than 0 waits before reporting its failure: a failure every rank meets (a bad option) is then
    /// reported once, by rank 0, whose abort ends the others in their wait; one that rank 0 does not meet still ends the job.
    /// </summary>
    static readonly TimeSpan OtherRanksWait = TimeSpan.FromSeconds(2);

    /// <summary>Runs <paramref name="command"/>, mapping what it throws to an exit code and a message on stderr; then shuts MPI down when the run opened it.</summary>
    public static int Run(Func<int> command)
    {
        int exit;
        try
        {
            exit = command();
        }
        catch (MpiUnavailableException e)
        {
            // each rank meets this alone and no MPI exists to coordinate them: rank 0 speaks for all
            if (MpiLaunch.FromEnvironment().Rank == 0) Console.Error.WriteLine($"error: {OneLine(e.Message)}");
            return BadInput;
        }
        catch (Exception thrown)
        {
            var e = Cause(thrown);
            int code = Classify(e);
            bool trace = code == InternalError || Environment.GetEnvironmentVariable("DIFFPRUNE_TRACE") == "1";
            return Fail(code, code == InternalError
                ? $"internal error (a bug in diffprune; please report it with this trace): {e}"
                : trace ? $"error: {e}" : $"error: {OneLine(e.Message)}{Hint(e)}");
        }
        ParallelWorld()?.Shutdown();
        return exit;
    }

    /// <summary>The failure behind <paramref name="e"/>: a type initialiser that read a bad setting (<c>DIFFPRUNE_THREADS</c>) surfaces wrapped.</summary>
    static Exception Cause(Exception e) => e is TypeInitializationException { InnerException: { } inner } ? Cause(inner) : e;

    /// <summary>The exit code for <paramref name="e"/>.</summary>
    public static int Classify(Exception e) => Cause(e) switch
    {
        EnvironmentSettingException or TrainingDivergedException => Usage,
        ResourceLimitException or OutOfMemoryException or InsufficientMemoryException => ResourceLimit,
        FileNotFoundException or DirectoryNotFoundException or InvalidDataException or EndOfStreamException or JsonException => BadInput,
        NotSupportedException => BadInput,
        UnauthorizedAccessException or PathTooLongException or IOException => IoFailure,
        ArgumentException when !ThrownByEngineCore(e) => Usage,
        _ => InternalError,
    };

    static int Fail(int code, string message)
    {
        if (ParallelWorld() is not { } world)
        {
            Console.Error.WriteLine(message);
            return code;
        }
        if (!world.IsRoot) Thread.Sleep(OtherRanksWait);
        Console.Error.WriteLine($"{message} (rank {world.Rank} of {world.Size}; all ranks stopped)");
        world.Abort(code);
        return code;
    }

    /// <summary>The world of this run when it spans several ranks, else null (never opens MPI).</summary>
    static Communicator? ParallelWorld() => Communicator.IsWorldOpen && Communicator.World.Size > 1 ? Communicator.World : null;

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

    /// <summary>What to do, where the message of a system exception names only the path ("Access to the path '…' is denied.").</summary>
    static string Hint(Exception e) => e is UnauthorizedAccessException && e.Message.StartsWith("Access to the path", StringComparison.Ordinal)
        ? " Fix its permissions, or give a path you may read and write." : "";

    static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
