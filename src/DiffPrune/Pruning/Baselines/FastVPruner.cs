using DiffPrune.Models.Llama;

namespace DiffPrune.Pruning.Baselines;

/// <summary>
/// FastV (Chen et al., ECCV 2024), inside the LLM: before layer K = 2 runs, each image keeps the K tokens (the
/// budget) that the last prompt token attends to most in layer K − 1 (attention probabilities averaged over heads);
/// from layer 2 on the other image tokens have no hidden state and no KV entries, and the kept ones keep their
/// position ids. Layer 2 whatever the depth (the paper's K = 2 of 32 is a shallow layer, not a fraction); a 2-layer
/// LLM drops at layer 1.
/// </summary>
public sealed class FastVPruner : SingleStagePruner
{
    /// <summary>The published filtering layer K.</summary>
    public const int PublishedLayer = 2;

    /// <summary>A FastV stage keeping <paramref name="keep"/> of <paramref name="imageTokens"/> image tokens in an LLM of <paramref name="depth"/> layers.</summary>
    /// <exception cref="ArgumentOutOfRangeException">K outside 1..N.</exception>
    /// <exception cref="ArgumentException">An LLM with fewer than 2 layers.</exception>
    public FastVPruner(int keep, int imageTokens, int depth) : base("FastV", keep, imageTokens, depth, PublishedLayer) { }

    /// <inheritdoc/>
    public override string Location => $"L{Layer}–L{Depth}";

    /// <inheritdoc/>
    public override bool NeedsAttention => true;

    /// <inheritdoc/>
    public override TokenDropDecision Decide(TokenDropContext context)
    {
        PromptTokens.CheckBudget(context, Keep);
        var attention = PromptTokens.Attention(context, Name);
        return new TokenDropDecision(Enumerable.Range(0, context.Batch).Select(b =>
        {
            var span = context.ImageSpans[b];
            var scores = PromptTokens.AttentionToImage(attention, b, [PromptTokens.LastValid(context, b)], span, context.Tokens);
            return PromptTokens.KeepImageTokens(context, b, Ranking.Top(Keep, Enumerable.Range(0, span.Length), j => scores[j]));
        }).ToArray());
    }
}
