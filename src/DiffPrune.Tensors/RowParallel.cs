namespace DiffPrune.Tensors;

/// <summary>
/// Splits independent work items (rows of a norm or softmax, matrices of a batched product, (batch, head) blocks of
/// attention) into one contiguous range per thread of the <see cref="ThreadBudget"/>. Small jobs stay on the calling
/// thread: below <see cref="MinWork"/> floats of work a fork costs more than it saves. Inside a part, GEMMs and nested
/// loops run single-threaded (the budget's threads are all busy).
/// </summary>
public static class RowParallel
{
    /// <summary>Least work (in floats touched) worth handing to a second thread.</summary>
    public const long MinWork = 1 << 16;

    /// <summary>Threads the engine's own loops use (the <see cref="ThreadBudget"/>).</summary>
    public static int Threads => ThreadBudget.Threads;

    /// <summary>Elements per item of <see cref="ForSegments"/>: a multiple of every chunk size the span kernels use.</summary>
    public const int Segment = 16384;

    /// <summary>
    /// Calls <paramref name="body"/>(start, end) over element ranges that cover 0..<paramref name="length"/>−1 once, each
    /// starting at a multiple of <see cref="Segment"/> and none shorter than it (the last one takes the remainder), so a
    /// span kernel sees the same chunks and SIMD tails as on the whole array and its results are bit-identical.
    /// <paramref name="workPerElement"/> weighs an element against a float copied (e.g. 8 for an exp-heavy kernel).
    /// </summary>
    public static void ForSegments(int length, int workPerElement, Action<int, int> body)
    {
        int segments = Math.Max(1, length / Segment);
        For(segments, (long)Segment * workPerElement, (lo, hi) => body(lo * Segment, hi == segments ? length : hi * Segment));
    }

    /// <summary>Calls <paramref name="body"/>(start, end) over ranges that cover 0..<paramref name="count"/>−1 once,
    /// in parallel when <paramref name="count"/> × <paramref name="workPerItem"/> is large enough.</summary>
    public static void For(int count, long workPerItem, Action<int, int> body)
    {
        int threads = ThreadBudget.Available;
        long work = workPerItem >= long.MaxValue / Math.Max(count, 1) ? long.MaxValue : count * workPerItem;
        int parts = (int)Math.Min(Math.Min(threads, count), Math.Max(1, work / MinWork));
        if (parts <= 1)
        {
            if (count > 0) body(0, count);
            return;
        }
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
            ThreadBudget.RunAsPart((lo: (int)((long)count * p / parts), hi: (int)((long)count * (p + 1) / parts)), r => body(r.lo, r.hi)));
    }
}
