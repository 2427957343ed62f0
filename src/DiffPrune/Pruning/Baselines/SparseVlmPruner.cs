using DiffPrune.Models.Llama;
using DiffPrune.Tensors;

namespace DiffPrune.Pruning.Baselines;

/// <summary>
/// SparseVLM v1.5 (Zhang et al., ICML 2025), inside the LLM: question tokens rate the image tokens, and part of what is
/// dropped is recycled.
/// Raters: from the LLM's input embeddings, each question token's relevance is the softmax over the question of the
/// image-token · question-token products, averaged over the image tokens; raters are the question tokens above the
/// mean relevance. At sparsification layers 2, 6, 15 of 32 (the same fractions of this depth), each image token
/// (recycled ones included) scores the raters' attention to it in that layer (heads and raters averaged); the top
/// n_s stay from the next layer on. Recycling: of the dropped tokens, the 30 % (+1) with the highest scores are
/// clustered into ⌊m/10⌋ + 1 groups by density peaks (DPC-KNN on that layer's output states) and each group goes on
/// as its mean, in the place and position id of its centre.
/// Budget: SparseVLM hard-codes its stage counts per budget for N = 576: 66/30/17 ("64 tokens"), 303/110/36 ("128"),
/// 300/200/110 ("192"), which by the authors' own count (score.py: 2·576 + 4·300 + 10·200 + 16·118 ≈ 32·192) average
/// ≈ K visual tokens per layer over Vicuna-7B's 32 layers.
/// Here K selects that schedule as fractions of N, linearly interpolated in K/N between the published budgets (and
/// towards 0 and N beyond them), so K/N = 1/9, 2/9, 1/3 reproduce the published settings at any N.
/// </summary>
/// <remarks>
/// Departures from the reference code: kept tokens keep their position ids and recycled ones take their centre's
/// (the original renumbers contiguously and appends the recycled tokens after the kept ones); density ties go to the
/// lower index (the original breaks them with random noise); without question tokens the last prompt token rates.
/// Stages that fall on the same layer of a shallow LLM merge into the later one.
/// </remarks>
public sealed class SparseVlmPruner : InLlmPruner
{
    /// <summary>The published sparsification layers (Vicuna-7B, 32 layers): tokens leave after these layers.</summary>
    public static IReadOnlyList<int> PublishedLayers { get; } = [2, 6, 15];

    /// <summary>The published stage counts of N = 576 per budget K (SparseVLM v1.5, score.py).</summary>
    static readonly (int Budget, int[] Counts)[] PublishedSchedules = [(64, [66, 30, 17]), (128, [303, 110, 36]), (192, [300, 200, 110])];
    const int PublishedTokens = 576;
    const double RecycledShare = 0.3;
    const int TokensPerCluster = 10;

    readonly Stage[] _stages;

    /// <summary>SparseVLM at budget <paramref name="keep"/> of <paramref name="imageTokens"/> image tokens in an LLM of <paramref name="depth"/> layers.</summary>
    /// <exception cref="ArgumentOutOfRangeException">K outside 1..N.</exception>
    /// <exception cref="ArgumentException">An LLM with fewer than 2 layers.</exception>
    public SparseVlmPruner(int keep, int imageTokens, int depth) : base("SparseVLM", keep, imageTokens, depth)
    {
        var counts = Schedule((double)keep / imageTokens).Select(f => Math.Clamp((int)Math.Round(f * imageTokens, MidpointRounding.AwayFromZero), 1, imageTokens)).ToArray();
        _stages = PublishedLayers
            .Select((l, s) => new Stage(LlmLayers.Clamp(LlmLayers.Scale(l, depth) + 1, depth), counts[s]))
            .GroupBy(s => s.Layer).Select(g => g.Last()).ToArray();
    }

    /// <inheritdoc/>
    public override string Location => LlmLayers.Range(_stages[0].Layer - 1, _stages[^1].Layer - 1);

    /// <inheritdoc/>
    public override IReadOnlyList<ITokenDropper> Droppers => _stages;

    /// <summary>Image tokens each stage keeps before recycling, in layer order.</summary>
    public IReadOnlyList<int> StageCounts => _stages.Select(s => s.Keep).ToArray();

    /// <summary>Stage counts as fractions of N for a kept fraction K/N (the published schedules, interpolated).</summary>
    public static double[] Schedule(double fraction)
    {
        var anchors = new List<(double F, double[] Counts)> { (0, [0, 0, 0]) };
        anchors.AddRange(PublishedSchedules.Select(p => ((double)p.Budget / PublishedTokens, p.Counts.Select(c => (double)c / PublishedTokens).ToArray())));
        anchors.Add((1, [1, 1, 1]));
        int hi = Math.Clamp(anchors.FindIndex(a => a.F >= fraction), 1, anchors.Count - 1);
        var (f0, c0) = anchors[hi - 1];
        var (f1, c1) = anchors[hi];
        double w = (fraction - f0) / (f1 - f0);
        return c0.Select((c, s) => c + w * (c1[s] - c)).ToArray();
    }

    /// <summary>Sample b's rater tokens, by position id: the question tokens of above-mean relevance in the input embeddings.</summary>
    public static HashSet<int> RaterPositions(DecoderInput input, int b)
    {
        var embeds = input.Embeds;
        int t = embeds.Shape[1];
        var span = input.ImageSpans![b];
        var question = Enumerable.Range(span.End, t - span.End).Where(j => input.Valid?[b * t + j] ?? true).ToArray();
        if (question.Length == 0) return [];
        var rows = embeds.Reshape(-1, embeds.Shape[2]);
        var image = rows.IndexSelect(0, Enumerable.Range(b * t + span.Start, span.Length).ToArray());
        var text = rows.IndexSelect(0, question.Select(j => b * t + j).ToArray());
        var relevance = image.Matmul(text, transB: true).Softmax(-1).Mean(0).ToArray(); // (question)
        float mean = relevance.Average();
        var raters = question.Where((_, i) => relevance[i] > mean).ToArray();
        return (raters.Length > 0 ? raters : question).Select(j => input.Positions[b * t + j]).ToHashSet();
    }

    /// <summary>
    /// Density-peak clustering (DPC-KNN) of the rows of x (m, d) into <paramref name="clusters"/>: distances over √d,
    /// density exp(−mean squared distance to the nearest <paramref name="clusters"/>), centres the largest density ×
    /// distance to a denser row; every row joins its nearest centre. Returns the centres (best first) and each row's
    /// centre (an index into the centres).
    /// </summary>
    public static (int[] Centres, int[] Assignment) Cluster(Tensor x, int clusters)
    {
        int m = x.Shape[0], d = x.Shape[1];
        var dist = new double[m, m];
        double maxDist = 0;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
            {
                dist[i, j] = System.Numerics.Tensors.TensorPrimitives.Distance(x.Data.Slice(i * d, d), x.Data.Slice(j * d, d)) / Math.Sqrt(d);
                maxDist = Math.Max(maxDist, dist[i, j]);
            }
        var density = Enumerable.Range(0, m).Select(i =>
            Math.Exp(-Enumerable.Range(0, m).Select(j => dist[i, j]).Order().Take(clusters).Average(v => v * v))).ToArray();
        bool Denser(int j, int i) => density[j] > density[i] || (density[j] == density[i] && j < i);
        var parent = Enumerable.Range(0, m).Select(i =>
        {
            var denser = Enumerable.Range(0, m).Where(j => Denser(j, i)).ToArray();
            return denser.Length == 0 ? maxDist : denser.Min(j => dist[i, j]);
        }).ToArray();
        var centres = Ranking.Top(clusters, Enumerable.Range(0, m), i => parent[i] * density[i]);
        var assignment = Enumerable.Range(0, m).Select(i => Array.IndexOf(centres, i) is >= 0 and var own ? own
            : Enumerable.Range(0, clusters).OrderBy(c => dist[centres[c], i]).ThenBy(c => c).First()).ToArray();
        return (centres, assignment);
    }

    /// <summary>One stage: after layer <see cref="Layer"/> − 1, keep the <see cref="Keep"/> best-rated image tokens and recycle some of the rest.</summary>
    sealed class Stage(int layer, int keep) : ITokenDropper
    {
        public int Layer => layer;

        public int Keep => keep;

        public bool NeedsAttention => true;

        public TokenDropDecision Decide(TokenDropContext context)
        {
            var attention = PromptTokens.Attention(context, "SparseVLM");
            var samples = Enumerable.Range(0, context.Batch).Select(b => DecideSample(context, attention, b)).ToArray();
            return new TokenDropDecision(samples.Select(s => s.Keep).ToArray(), samples.Select(s => s.MergeInto).ToArray());
        }

        (int[] Keep, int[] MergeInto) DecideSample(TokenDropContext context, Tensor attention, int b)
        {
            var span = context.ImageSpans[b];
            var scores = PromptTokens.AttentionToImage(attention, b, Raters(context, b), span, context.Tokens);
            var ranked = Ranking.Descending(Enumerable.Range(0, span.Length), j => scores[j]);
            var kept = ranked.Take(keep).ToList();
            var dropped = ranked.Skip(keep).ToArray();      // best-rated first
            var mergeInto = Enumerable.Repeat(-1, context.Tokens).ToArray();
            if (dropped.Length == 0) return (PromptTokens.KeepImageTokens(context, b, kept), mergeInto);

            var pool = dropped.Take(Math.Min(dropped.Length, (int)(dropped.Length * RecycledShare) + 1)).ToArray();
            var rows = pool.Select(j => b * context.Tokens + span.Start + j).ToArray();
            var (centres, assignment) = Cluster(context.Hidden.Reshape(-1, context.Hidden.Shape[2]).IndexSelect(0, rows), pool.Length / TokensPerCluster + 1);
            var stay = PromptTokens.KeepImageTokens(context, b, kept.Concat(centres.Select(c => pool[c])));
            for (int i = 0; i < pool.Length; i++)
                if (centres[assignment[i]] != i)
                    mergeInto[span.Start + pool[i]] = Array.BinarySearch(stay, span.Start + pool[centres[assignment[i]]]);
            return (stay, mergeInto);
        }

        /// <summary>Sample b's rater rows in the current sequence (the last prompt token when there is no question).</summary>
        static int[] Raters(TokenDropContext context, int b)
        {
            var positions = RaterPositions(context.Input, b);
            var rows = Enumerable.Range(0, context.Tokens)
                .Where(j => context.Valid[b * context.Tokens + j] && !context.ImageSpans[b].Contains(j) && positions.Contains(context.Positions[b * context.Tokens + j]))
                .ToArray();
            return rows.Length > 0 ? rows : [PromptTokens.LastValid(context, b)];
        }
    }
}
