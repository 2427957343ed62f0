using DiffPrune.Models.Llama;
using DiffPrune.Tensors;

namespace DiffPrune.Pruning.Baselines;

/// <summary>
/// PyramidDrop (Xing et al., CVPR 2025), inside the LLM: the LLM is cut into stages at layers 8, 16, 24 of 32 (here
/// the same fractions of the depth: L/4, L/2, 3L/4); at each stage boundary ℓ the image tokens are ranked by the
/// attention of the last instruction token over all tokens, computed with layer ℓ's own query and key projections
/// (heads averaged), and the top ones go on. Stage s keeps round(N·λˢ) image tokens, λ = (K/N)^(1/S), so the last
/// stage keeps exactly K (the paper's K = 64 of 576: 277 → 133 → 64, λ ≈ 0.48, where its default λ = 0.5 ends at 72).
/// </summary>
/// <remarks>
/// K is the count after the last stage, not an average over layers: with the first quarter of the layers on all N
/// tokens, an average of K = N/9 is out of reach, and DiffPrune's Table 4 FLOPs for PyramidDrop at K = 64 (4.89 T
/// against 8.89 T unpruned) fit this schedule. Stages that fall on the same layer of a shallow LLM merge into one
/// (a 2-layer LLM has a single stage at layer 1 keeping K). Departure: kept tokens keep their position ids (the
/// original renumbers them contiguously after each drop).
/// </remarks>
public sealed class PyramidDropPruner : InLlmPruner
{
    /// <summary>The published stage boundaries (Vicuna-7B, 32 layers).</summary>
    public static IReadOnlyList<int> PublishedLayers { get; } = [8, 16, 24];

    readonly Stage[] _stages;

    /// <summary>PyramidDrop ending at <paramref name="keep"/> of <paramref name="imageTokens"/> image tokens in an LLM of <paramref name="depth"/> layers.</summary>
    /// <exception cref="ArgumentOutOfRangeException">K outside 1..N.</exception>
    /// <exception cref="ArgumentException">An LLM with fewer than 2 layers.</exception>
    public PyramidDropPruner(int keep, int imageTokens, int depth) : base("PyramidDrop", keep, imageTokens, depth)
    {
        var layers = PublishedLayers.Select(l => LlmLayers.Clamp(LlmLayers.Scale(l, depth), depth)).Distinct().ToArray();
        double ratio = Math.Pow((double)keep / imageTokens, 1.0 / layers.Length);
        _stages = layers.Select((layer, s) => new Stage(layer, s == layers.Length - 1 ? keep
            : (int)Math.Round(imageTokens * Math.Pow(ratio, s + 1), MidpointRounding.AwayFromZero))).ToArray();
    }

    /// <inheritdoc/>
    public override string Location => LlmLayers.Range(_stages[0].Layer, _stages[^1].Layer);

    /// <inheritdoc/>
    public override IReadOnlyList<ITokenDropper> Droppers => _stages;

    /// <summary>Image tokens each stage lets through, in layer order (the last is K).</summary>
    public IReadOnlyList<int> StageCounts => _stages.Select(s => s.Keep).ToArray();

    /// <summary>
    /// Sample b's last-token attention to each of its image tokens at layer <paramref name="layer"/>, from that layer's
    /// query and key projections of the hidden states entering it (softmax over all valid keys, mean over heads).
    /// </summary>
    public static float[] LastTokenAttention(TokenDropContext context, int layer, int b)
    {
        var block = context.Model.Model.Layers[layer];
        var x = block.InputLayerNorm.Forward(context.Hidden.Slice(0, b, b + 1));
        int t = context.Tokens, query = PromptTokens.LastValid(context, b);
        var positions = PositionPlanes.OfSample(context.Positions, context.Batch, t, b);
        var q = block.SelfAttn.Queries(x, positions);                          // (1, H, T, D)
        var k = block.SelfAttn.Keys(x, positions);                             // (1, Hkv, T, D)
        int heads = q.Shape[1], group = heads / k.Shape[1], d = q.Shape[3];
        var span = context.ImageSpans[b];
        var scores = new float[span.Length];
        var logits = new double[t];
        for (int h = 0; h < heads; h++)
        {
            var qRow = q.Data.Slice((h * t + query) * d, d);
            double max = double.NegativeInfinity, sum = 0;
            for (int j = 0; j < t; j++)
            {
                bool visible = j <= query && context.Valid[b * t + j];
                logits[j] = visible ? System.Numerics.Tensors.TensorPrimitives.Dot(qRow, k.Data.Slice((h / group * t + j) * d, d)) / Math.Sqrt(d) : double.NegativeInfinity;
                max = Math.Max(max, logits[j]);
            }
            for (int j = 0; j < t; j++) sum += Math.Exp(logits[j] - max);
            for (int j = 0; j < span.Length; j++) scores[j] += (float)(Math.Exp(logits[span.Start + j] - max) / sum / heads);
        }
        return scores;
    }

    /// <summary>One stage: before <see cref="Layer"/>, keep the <see cref="Keep"/> image tokens the last instruction token attends to most.</summary>
    sealed class Stage(int layer, int keep) : ITokenDropper
    {
        public int Layer => layer;

        public int Keep => keep;

        public bool NeedsAttention => false;

        public TokenDropDecision Decide(TokenDropContext context)
        {
            PromptTokens.CheckBudget(context, keep);
            return new TokenDropDecision(Enumerable.Range(0, context.Batch).Select(b =>
            {
                var scores = LastTokenAttention(context, layer, b);
                return PromptTokens.KeepImageTokens(context, b, Ranking.Top(keep, Enumerable.Range(0, scores.Length), j => scores[j]));
            }).ToArray());
        }
    }
}
