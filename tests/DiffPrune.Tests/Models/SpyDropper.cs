using DiffPrune.Models.Llama;

namespace DiffPrune.Tests.Models;

/// <summary>A token dropper that records the context it is handed and keeps every token.</summary>
public sealed class SpyDropper(int layer, bool needsAttention = false) : ITokenDropper
{
    /// <summary>The context of the last call.</summary>
    public TokenDropContext? Seen { get; private set; }

    /// <inheritdoc/>
    public int Layer => layer;

    /// <inheritdoc/>
    public bool NeedsAttention => needsAttention;

    /// <inheritdoc/>
    public TokenDropDecision Decide(TokenDropContext context)
    {
        Seen = context;
        return new TokenDropDecision(Enumerable.Range(0, context.Batch).Select(_ => Enumerable.Range(0, context.Tokens).ToArray()).ToArray());
    }
}
