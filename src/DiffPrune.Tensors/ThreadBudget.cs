namespace DiffPrune.Tensors;

/// <summary>
/// The one thread budget of the engine: its own parallel loops (<see cref="RowParallel"/>) and GEMM (both backends) share
/// it, so that a process never runs more compute threads than the budget. The rules, in one place:
/// <list type="bullet">
/// <item>The budget is <c>DIFFPRUNE_THREADS</c> when set, else the processor count; <see cref="Use"/> changes it at run time.</item>
/// <item>Inside a parallel engine loop every thread already has its core: a GEMM or a nested loop called there runs on
/// the calling thread alone (<see cref="InParallelLoop"/>).</item>
/// <item>Outside one, a large GEMM is cut into strips of C over the budget's threads by the engine itself. OpenBLAS is
/// told to use one thread (<c>openblas_set_num_threads(1)</c>) and computes each strip single-threaded, so its own
/// threads never compete with the engine's (on 2 cores they spun in sched_yield for ~40 % of a training step).</item>
/// </list>
/// </summary>
public static class ThreadBudget
{
    [ThreadStatic] static bool _inParallelLoop;

    /// <summary>Threads the engine computes on (≥ 1).</summary>
    public static int Threads { get; private set; } = ReadThreads();

    /// <summary>True on a thread that is running one part of a parallel engine loop.</summary>
    public static bool InParallelLoop => _inParallelLoop;

    /// <summary>Threads available to work started on the calling thread: 1 inside a parallel loop, else <see cref="Threads"/>.</summary>
    public static int Available => _inParallelLoop ? 1 : Threads;

    /// <summary>Sets the budget (benchmarks compare 1 and 2 threads in one process this way).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than one thread.</exception>
    public static void Use(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), $"a thread budget of {threads} is not positive; give 1 or more");
        Threads = threads;
    }

    /// <summary>Most threads <c>DIFFPRUNE_THREADS</c> may ask for: far above any core count this runs on, low enough that a
    /// mistyped value cannot make the engine start threads by the million.</summary>
    public const int MaxThreads = 1024;

    static int ReadThreads() => ParseSetting(Environment.GetEnvironmentVariable("DIFFPRUNE_THREADS"), Environment.ProcessorCount);

    /// <summary>The budget that a <c>DIFFPRUNE_THREADS</c> value of <paramref name="text"/> sets (<paramref name="processors"/> when unset or blank).</summary>
    /// <exception cref="EnvironmentSettingException">Not a whole number in 1..<see cref="MaxThreads"/>.</exception>
    internal static int ParseSetting(string? text, int processors)
    {
        if (string.IsNullOrWhiteSpace(text)) return processors;
        if (!int.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) || n < 1 || n > MaxThreads)
            throw new EnvironmentSettingException($"DIFFPRUNE_THREADS='{text}' is not a thread count in 1..{MaxThreads}: set it to a whole number such as {processors} (the cores here), or unset it");
        return n;
    }

    /// <summary>Runs <paramref name="part"/> marked as one part of a parallel loop (see <see cref="InParallelLoop"/>).</summary>
    internal static void RunAsPart<TState>(TState state, Action<TState> part)
    {
        bool outer = _inParallelLoop;
        _inParallelLoop = true;
        try { part(state); }
        finally { _inParallelLoop = outer; }
    }
}
