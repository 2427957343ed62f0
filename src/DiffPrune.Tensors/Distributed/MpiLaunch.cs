namespace DiffPrune.Tensors.Distributed;

/// <summary>
/// What the launcher told this process through its environment, read before any MPI library is touched: MPICH's
/// Hydra sets <c>PMI_RANK</c> / <c>PMI_SIZE</c>, Open MPI's mpirun <c>OMPI_COMM_WORLD_RANK</c> / <c>OMPI_COMM_WORLD_SIZE</c>.
/// </summary>
/// <param name="Rank">This process's rank as the launcher numbers it (0 without a launcher).</param>
/// <param name="Size">Processes started together (1 without a launcher).</param>
/// <param name="OpenMpi">True when Open MPI's launcher started the process.</param>
public sealed record MpiLaunch(int Rank, int Size, bool OpenMpi)
{
    /// <summary>A process started by mpiexec with other processes: the only case in which MPI is loaded.</summary>
    public bool IsParallel => Size > 1;

    /// <summary>The launch described by this process's environment.</summary>
    public static MpiLaunch FromEnvironment() => Read(Environment.GetEnvironmentVariable);

    /// <summary>The launch described by <paramref name="variable"/> (a name → value lookup, null when unset).</summary>
    /// <exception cref="InvalidOperationException">A launcher variable that is not a count.</exception>
    public static MpiLaunch Read(Func<string, string?> variable)
    {
        if (variable("OMPI_COMM_WORLD_SIZE") is { } ompiSize)
            return new MpiLaunch(Number(variable, "OMPI_COMM_WORLD_RANK", 0), Number("OMPI_COMM_WORLD_SIZE", ompiSize, 1), true);
        if (variable("PMI_SIZE") is { } pmiSize)
            return new MpiLaunch(Number(variable, "PMI_RANK", 0), Number("PMI_SIZE", pmiSize, 1), false);
        return new MpiLaunch(0, 1, false);
    }

    static int Number(Func<string, string?> variable, string name, int least) =>
        Number(name, variable(name) ?? throw new InvalidOperationException($"{name} is not set, though its launcher's other variables are: start the command with mpiexec"), least);

    static int Number(string name, string text, int least) =>
        int.TryParse(text, out int n) && n >= least ? n
            : throw new InvalidOperationException($"{name}='{text}' is not a count of at least {least}: start the command with mpiexec, or unset it");
}
