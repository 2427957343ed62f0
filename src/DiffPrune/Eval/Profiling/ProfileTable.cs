namespace DiffPrune.Eval.Profiling;

/// <summary>
/// One setting of the efficiency table (paper Table 4): a VLM, a budget K of its N visual tokens, one row per method
/// with Vanilla first, and what the figures rest on.
/// </summary>
/// <param name="Title">"Default VLM (runs/pretrain/model)", "LLaVA-1.5-7B width".</param>
/// <param name="Notes">How the figures were obtained (runs, what is measured and what is extrapolated).</param>
/// <param name="VisualTokens">N.</param>
/// <param name="Keep">K.</param>
/// <param name="Rows">Vanilla, then the methods.</param>
/// <param name="DecoderLayerMs">Per sequence length, one decoder layer's median time, where prefill is summed from them; else null.</param>
public sealed record ProfileTable(string Title, IReadOnlyList<string> Notes, int VisualTokens, int Keep, IReadOnlyList<MethodProfile> Rows,
    IReadOnlyDictionary<int, double>? DecoderLayerMs = null)
{
    /// <summary>The unpruned row.</summary>
    /// <exception cref="InvalidOperationException">No Vanilla row.</exception>
    public MethodProfile Vanilla => Rows.FirstOrDefault(r => r.Method == MethodSelection.Vanilla.Label)
        ?? throw new InvalidOperationException($"{Title}: the table has no Vanilla row to compare with");

    /// <summary>Time-to-first-token speedup over Vanilla.</summary>
    public double Speedup(MethodProfile row) => Vanilla.TtftMs / row.TtftMs;

    /// <summary>Measured prefill speedup over Vanilla.</summary>
    public double PrefillSpeedup(MethodProfile row) => Vanilla.PrefillMs / row.PrefillMs;

    /// <summary>Vanilla's FLOPs over the row's (everything counted).</summary>
    public double FlopsRatio(MethodProfile row) => Vanilla.Flops.Total / row.Flops.Total;

    /// <summary>Vanilla's prefill FLOPs over the row's: what the prefill speedup would be if time followed FLOPs.</summary>
    public double PrefillFlopsRatio(MethodProfile row) => Vanilla.Flops.Prefill / row.Flops.Prefill;
}
