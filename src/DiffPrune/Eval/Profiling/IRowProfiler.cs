namespace DiffPrune.Eval.Profiling;

/// <summary>
/// Sets up one setting's rows for an <see cref="InterleavedTimer"/>: each method is built, run once (its decisions
/// kept) and its timed parts registered; its row is assembled once the timer's rounds are done.
/// </summary>
internal interface IRowProfiler
{
    /// <summary>Prepares row <paramref name="index"/>; the returned function builds the row from the timer's medians (by key).</summary>
    Func<Func<string, double>, MethodProfile> Prepare(int index, ComparedMethod method, InterleavedTimer timer);

    /// <summary>The single decoder layer times the prefill was summed from, by sequence length; null when prefill is measured whole.</summary>
    IReadOnlyDictionary<int, double>? DecoderLayerMs(Func<string, double> median);
}
