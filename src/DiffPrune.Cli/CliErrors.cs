using DiffPrune.Tensors.Distributed;

namespace DiffPrune.Cli;

/// <summary>
/// Turns expected failures (bad input, missing files) into a one-line message and a non-zero exit code. Under mpiexec
/// with several ranks any failure of a rank ends every rank (MPI_Abort) after one message: the other ranks may be
/// waiting for it in a collective and would otherwise hang.
/// </summary>
internal static class CliErrors
{
    /// <summary>Exit code for bad input or a failed command.</summary>
    public const int Failure = 1;

    /// <summary>
    /// How long a rank other than 0 waits before reporting its failure: a failure every rank meets (a bad option) is then
    /// reported once, by rank 0, whose abort ends the others in their wait; one that rank 0 does not meet still ends the job.
    /// </summary>
    static readonly TimeSpan OtherRanksWait = TimeSpan.FromSeconds(2);

    /// <summary>Runs <paramref name="command"/>, then shuts MPI down when the run opened it.</summary>
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
            if (MpiLaunch.FromEnvironment().Rank == 0) Console.Error.WriteLine($"error: {e.Message}");
            return Failure;
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or InvalidOperationException or IOException or NotSupportedException)
        {
            // DIFFPRUNE_TRACE=1 shows where an error came from (for bug reports)
            return Fail(Environment.GetEnvironmentVariable("DIFFPRUNE_TRACE") == "1" ? e.ToString() : e.Message);
        }
        catch (Exception e) when (ParallelWorld() != null)
        {
            return Fail(e.ToString());
        }
        ParallelWorld()?.Shutdown();
        return exit;
    }

    static int Fail(string message)
    {
        if (ParallelWorld() is not { } world)
        {
            Console.Error.WriteLine($"error: {message}");
            return Failure;
        }
        if (!world.IsRoot) Thread.Sleep(OtherRanksWait);
        Console.Error.WriteLine($"error: {message} (rank {world.Rank} of {world.Size}; all ranks stopped)");
        world.Abort(Failure);
        return Failure;
    }

    /// <summary>The world of this run when it spans several ranks, else null (never opens MPI).</summary>
    static Communicator? ParallelWorld() => Communicator.IsWorldOpen && Communicator.World.Size > 1 ? Communicator.World : null;
}
