namespace DiffPrune.Models.Llama;

/// <summary>
/// Replays a pruning decision made on a prompt: keeps (and merges) the prompt tokens as decided and keeps every token
/// after the prompt. Recomputing a generation with it reproduces what a KV cache holds after in-LLM pruning at prefill.
/// </summary>
/// <param name="layer">The layer the decision was made at.</param>
/// <param name="promptDecision">The decision on the <paramref name="promptLength"/> prompt tokens (as in <see cref="DecoderOutput.Decisions"/>).</param>
/// <param name="promptLength">Tokens the decision was made on.</param>
public sealed class FixedTokenDropper(int layer, TokenDropDecision promptDecision, int promptLength) : ITokenDropper
{
    /// <summary>Replays keeping <paramref name="keptPromptIndices"/> (no merges).</summary>
    public FixedTokenDropper(int layer, int[][] keptPromptIndices, int promptLength) : this(layer, new TokenDropDecision(keptPromptIndices), promptLength) { }

    /// <inheritdoc/>
    public int Layer => layer;

    /// <inheritdoc/>
    public bool NeedsAttention => false;

    /// <inheritdoc/>
    public TokenDropDecision Decide(TokenDropContext context)
    {
        int t = context.Tokens;
        if (t < promptLength) throw new ArgumentException($"replayed drop expects at least the {promptLength} prompt tokens, got {t}");
        var after = Enumerable.Range(promptLength, t - promptLength);
        var keep = promptDecision.Keep.Select(k => k.Concat(after).ToArray()).ToArray();
        var merges = promptDecision.MergeInto?.Select(m => m.Concat(after.Select(_ => -1)).ToArray()).ToArray();
        return new TokenDropDecision(keep, merges);
    }
}
