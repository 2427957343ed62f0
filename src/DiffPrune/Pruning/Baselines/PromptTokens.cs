using DiffPrune.Models.Llama;
using DiffPrune.Tensors;

namespace DiffPrune.Pruning.Baselines;

/// <summary>
/// Where things are in one sample's current sequence, for in-LLM methods: its image span (from
/// <see cref="TokenDropContext.ImageSpans"/>, never a fixed offset), its last prompt token and its question.
/// </summary>
internal static class PromptTokens
{
    /// <summary>Index of sample b's last valid token: the last prompt token (padding is on the left).</summary>
    public static int LastValid(TokenDropContext c, int b)
    {
        for (int j = c.Tokens - 1; j >= 0; j--)
            if (c.Valid[b * c.Tokens + j]) return j;
        throw new ArgumentException($"sample {b} has no valid token");
    }

    /// <summary>Sample b's valid tokens after the image: its question.</summary>
    public static int[] TextAfterImage(TokenDropContext c, int b) =>
        Enumerable.Range(c.ImageSpans[b].End, c.Tokens - c.ImageSpans[b].End).Where(j => c.Valid[b * c.Tokens + j]).ToArray();

    /// <summary>Every token of sample b outside the image, plus the image tokens at <paramref name="imageOffsets"/> (0-based in the span), ascending.</summary>
    public static int[] KeepImageTokens(TokenDropContext c, int b, IEnumerable<int> imageOffsets)
    {
        var span = c.ImageSpans[b];
        return Enumerable.Range(0, c.Tokens).Where(j => !span.Contains(j)).Concat(imageOffsets.Select(o => span.Start + o)).Order().ToArray();
    }

    /// <summary>
    /// Attention probabilities (B, H, T, S) from <paramref name="queries"/> of sample b to each of its image tokens,
    /// averaged over heads and queries. With a KV cache the current tokens' keys are the last T of the S.
    /// </summary>
    public static float[] AttentionToImage(Tensor probs, int b, IReadOnlyList<int> queries, ImageSpan span, int tokens)
    {
        int heads = probs.Shape[1], t = probs.Shape[2], s = probs.Shape[3], offset = s - tokens;
        if (t != tokens) throw new ArgumentException($"attention {ShapeUtil.Format(probs.Shape)} does not fit {tokens} current tokens");
        var scores = new float[span.Length];
        foreach (int q in queries)
            for (int h = 0; h < heads; h++)
            {
                var row = probs.Data.Slice(((b * heads + h) * t + q) * s + offset + span.Start, span.Length);
                for (int j = 0; j < row.Length; j++) scores[j] += row[j];
            }
        for (int j = 0; j < scores.Length; j++) scores[j] /= heads * queries.Count;
        return scores;
    }

    /// <summary>Throws unless every sample still has at least <paramref name="keep"/> image tokens to choose from.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Names K and the sample's N.</exception>
    public static void CheckBudget(TokenDropContext c, int keep)
    {
        foreach (var span in c.ImageSpans) TokenBudget.Check(keep, span.Length);
    }

    /// <summary>The attention the dropper asked for.</summary>
    /// <exception cref="ArgumentException">The context holds none.</exception>
    public static Tensor Attention(TokenDropContext c, string method) =>
        c.Attention ?? throw new ArgumentException($"{method} ranks by the previous layer's attention: the context holds none (NeedsAttention was not honoured)");
}
