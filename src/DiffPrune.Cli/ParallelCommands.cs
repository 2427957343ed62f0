using DiffPrune.Tensors.Distributed;

namespace DiffPrune.Cli;

/// <summary>The commands that run under mpiexec with several ranks; the others are refused there, since each rank would do all the work and write the same files.</summary>
internal static class ParallelCommands
{
    /// <summary>Commands whose ranks share the work (demo, eval, pretrain and train: data-parallel) or only report (info).</summary>
    static readonly string[] Supported = ["demo", "eval", "info", "pretrain", "train"];

    /// <summary>Opens this process's world and checks that <paramref name="command"/> may run in it.</summary>
    /// <exception cref="NotSupportedException">Several ranks for a command that does not share its work.</exception>
    /// <exception cref="MpiUnavailableException">mpiexec started several ranks but no MPI library loads.</exception>
    public static void Check(string command)
    {
        var world = Communicator.World;
        if (world.Size > 1 && !Supported.Contains(command))
            throw new NotSupportedException($"'{command}' does not run under mpiexec with several processes (supported: {string.Join(", ", Supported)}): run it as one process");
    }
}
