using DiffPrune.Pruning;

namespace DiffPrune.Eval.Profiling;

/// <summary>
/// One row of the efficiency table (paper Table 4) at batch 1: FLOPs from shapes and the time to first token split into
/// vision encoding, the pruner's decision and the LLM prefill (projector and decoder), each a median in milliseconds.
/// </summary>
/// <param name="Method">Row label.</param>
/// <param name="Location">"Pre", "L2–L32", "–".</param>
/// <param name="Keep">K (N for Vanilla).</param>
/// <param name="Flops">FLOPs counted from shapes.</param>
/// <param name="Schedule">Tokens projected and tokens per decoder layer.</param>
/// <param name="EncodeMs">Vision encoding.</param>
/// <param name="PrunerMs">The decision: a pre-LLM method's function, or the sum of an in-LLM method's stage decisions.</param>
/// <param name="PrefillMs">LLM prefill without the decisions (the drops themselves included).</param>
/// <param name="Note">What this row's figures rest on when it differs from the table's description, else null.</param>
public sealed record MethodProfile(string Method, string Location, int Keep, FlopCount Flops, TokenSchedule Schedule,
    double EncodeMs, double PrunerMs, double PrefillMs, string? Note = null)
{
    /// <summary>Time to first token: encoding + decision + prefill.</summary>
    public double TtftMs => EncodeMs + PrunerMs + PrefillMs;

    /// <summary>The pruner's share of the time to first token.</summary>
    public double PrunerShare => PrunerMs / TtftMs;

    /// <summary>A row for <paramref name="method"/> labelled <paramref name="label"/>.</summary>
    public static MethodProfile Of(string label, IPruningMethod method, FlopCount flops, TokenSchedule schedule,
        double encodeMs, double prunerMs, double prefillMs, string? note = null) =>
        new(label, method.Location, method.Keep, flops, schedule, encodeMs, prunerMs, prefillMs, note);
}
