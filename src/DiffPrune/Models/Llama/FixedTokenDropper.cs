namespace DiffPrune.Models.Llama;

/// <summary>
/// Replays a pruning decision made on a prompt: keeps the given prompt indices and every token after the prompt.
/// Recomputing a generation with it reproduces what a KV cache holds after in-LLM pruning at prefill.
/// </summary>
public sealed class FixedTokenDropper(int layer, int[][] keptPromptIndices, int promptLength) : ITokenDropper
{
    /// <inheritdoc/>
    public int Layer => layer;

    /// <inheritdoc/>
    public bool NeedsAttention => false;

    /// <inheritdoc/>
    public int[][] Keep(TokenDropContext context)
    {
        int t = context.Hidden.Shape[1];
        if (t < promptLength) throw new ArgumentException($"replayed drop expects at least the {promptLength} prompt tokens, got {t}");
        return keptPromptIndices.Select(k => k.Concat(Enumerable.Range(promptLength, t - promptLength)).ToArray()).ToArray();
    }
}
