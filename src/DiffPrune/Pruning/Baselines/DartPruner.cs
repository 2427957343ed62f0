using DiffPrune.Models.Llama;
using DiffPrune.Tensors;

namespace DiffPrune.Pruning.Baselines;

/// <summary>
/// DART (Wen et al., EMNLP 2025), inside the LLM at layer 2: keeps tokens that duplicate nothing instead of "important"
/// ones, without attention maps. Pivots: the 4 image tokens and the 4 question tokens whose layer-1 keys (all heads,
/// after RoPE) have the largest L1 norm. Each pivot in turn claims, from the image tokens not yet kept, those least
/// cosine-similar to it in the final-norm'd hidden states entering layer 2. The image pivots and the claimed tokens
/// stay (exactly K); question pivots only guide. Layer 2 whatever the depth; a 2-layer LLM drops at layer 1.
/// </summary>
/// <remarks>
/// Departures from the reference code: the K − 4 claims are split as evenly as the pivots allow (the original gives
/// each of the 8 pivots ⌊budget/8⌋, keeping K + 4 or fewer than K); pivots claim in a fixed order (image pivots, then
/// question pivots, each by descending key norm; the original iterates a Python set); layer-1 keys are projected again
/// from that layer's input (the original takes them from its attention call), which the decision's cost includes.
/// </remarks>
public sealed class DartPruner : SingleStagePruner
{
    /// <summary>The published pruning layer.</summary>
    public const int PublishedLayer = 2;
    /// <summary>Image pivots of the published setting.</summary>
    public const int ImagePivots = 4;
    /// <summary>Question pivots of the published setting.</summary>
    public const int TextPivots = 4;

    /// <summary>A DART stage keeping <paramref name="keep"/> of <paramref name="imageTokens"/> image tokens in an LLM of <paramref name="depth"/> layers.</summary>
    /// <exception cref="ArgumentOutOfRangeException">K outside 1..N.</exception>
    /// <exception cref="ArgumentException">An LLM with fewer than 2 layers.</exception>
    public DartPruner(int keep, int imageTokens, int depth) : base("DART", keep, imageTokens, depth, PublishedLayer) { }

    /// <inheritdoc/>
    public override string Location => $"L{Layer}";

    /// <inheritdoc/>
    public override bool NeedsAttention => false;

    /// <inheritdoc/>
    public override TokenDropDecision Decide(TokenDropContext context)
    {
        PromptTokens.CheckBudget(context, Keep);
        var before = context.Model.Model.Layers[Layer - 1];
        var keys = before.SelfAttn.Keys(before.InputLayerNorm.Forward(context.PreviousInput), context.Positions); // (B, Hkv, T, D)
        var hidden = context.Model.Model.Norm.Forward(context.Hidden);
        return new TokenDropDecision(Enumerable.Range(0, context.Batch).Select(b =>
        {
            var span = context.ImageSpans[b];
            var kept = Select(KeyL1Norms(keys, b), TokenGeometry.Sample(hidden, b), span, PromptTokens.TextAfterImage(context, b), Keep);
            return PromptTokens.KeepImageTokens(context, b, kept.Select(j => j - span.Start));
        }).ToArray());
    }

    /// <summary>
    /// The K image tokens (indices into the sequence, ascending) one sample keeps, from each token's key L1 norm, its
    /// hidden states (T, d), its image span and its question tokens.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">K outside 1..N.</exception>
    public static int[] Select(double[] keyNorms, Tensor hidden, ImageSpan span, int[] question, int keep)
    {
        TokenBudget.Check(keep, span.Length, nameof(keep));
        var image = Enumerable.Range(span.Start, span.Length).ToArray();
        var imagePivots = Ranking.Top(Math.Min(ImagePivots, keep), image, j => keyNorms[j]);
        var pivots = imagePivots.Concat(Ranking.Top(TextPivots, question, j => keyNorms[j])).ToArray();
        var pool = image.Except(imagePivots).ToList();
        var kept = new List<int>(imagePivots);
        int claims = keep - imagePivots.Length;
        for (int p = 0; p < pivots.Length && pool.Count > 0; p++)
        {
            int quota = claims / pivots.Length + (p < claims % pivots.Length ? 1 : 0);
            var similarity = TokenGeometry.Cosine(hidden.IndexSelect(0, [pivots[p]]), hidden.IndexSelect(0, pool.ToArray())).ToArray();
            var claimed = Ranking.Top(quota, Enumerable.Range(0, pool.Count), i => -similarity[i]).Select(i => pool[i]).ToArray();
            kept.AddRange(claimed);
            pool.RemoveAll(claimed.Contains);
        }
        return kept.Order().ToArray();
    }

    /// <summary>Per token of sample b, the L1 norm of its keys over all heads (keys (B, Hkv, T, D)).</summary>
    static double[] KeyL1Norms(Tensor keys, int b)
    {
        int heads = keys.Shape[1], t = keys.Shape[2], d = keys.Shape[3];
        var norms = new double[t];
        for (int h = 0; h < heads; h++)
            for (int j = 0; j < t; j++)
                norms[j] += System.Numerics.Tensors.TensorPrimitives.SumOfMagnitudes(keys.Data.Slice(((b * heads + h) * t + j) * d, d));
        return norms;
    }
}
