namespace DiffPrune.Tensors;

/// <summary>
/// Splits independent work items (rows of a softmax, matrices of a batched product) into one contiguous range per
/// core. Small jobs stay on the calling thread: below <see cref="MinWork"/> floats of work a fork costs more than it saves.
/// The number of threads is <c>DIFFPRUNE_THREADS</c> when set, else the processor count.
/// </summary>
public static class RowParallel
{
    /// <summary>Least work (in floats touched) worth handing to a second thread.</summary>
    public const long MinWork = 1 << 16;

    /// <summary>Threads the engine's own loops use.</summary>
    public static int Threads { get; } = ReadThreads();

    static int ReadThreads()
    {
        var text = Environment.GetEnvironmentVariable("DIFFPRUNE_THREADS");
        if (string.IsNullOrWhiteSpace(text)) return Environment.ProcessorCount;
        if (!int.TryParse(text, out int n) || n < 1)
            throw new InvalidOperationException($"DIFFPRUNE_THREADS='{text}' is not a positive thread count");
        return n;
    }

    /// <summary>Calls <paramref name="body"/>(start, end) over ranges that cover 0..<paramref name="count"/>−1 once,
    /// in parallel when <paramref name="count"/> × <paramref name="workPerItem"/> is large enough.</summary>
    public static void For(int count, long workPerItem, Action<int, int> body)
    {
        int parts = (int)Math.Min(Math.Min(Threads, count), Math.Max(1, count * workPerItem / MinWork));
        if (parts <= 1)
        {
            if (count > 0) body(0, count);
            return;
        }
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p => body((int)((long)count * p / parts), (int)((long)count * (p + 1) / parts)));
    }
}
