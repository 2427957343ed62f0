using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Models.Llama;

/// <summary>Input of a decoder forward pass.</summary>
/// <param name="Embeds">Input embeddings (B, T, d).</param>
/// <param name="Positions">Position ids (B·T), or with M-RoPE three planes of them (3·B·T: <see cref="PositionPlanes"/>);
/// need not be contiguous.</param>
/// <param name="Valid">Validity per token (B·T); null means all valid. Padding keys are masked.</param>
public sealed record DecoderInput(Tensor Embeds, int[] Positions, bool[]? Valid = null)
{
    /// <summary>KV cache to extend (null: no cache).</summary>
    public KvCache? Cache { get; init; }
    /// <summary>In-LLM pruning stages, applied in order of their layer (at most one per layer).</summary>
    public IReadOnlyList<ITokenDropper> Droppers { get; init; } = [];
    /// <summary>Image spans per sample (needed by droppers).</summary>
    public ImageSpan[]? ImageSpans { get; init; }
    /// <summary>
    /// For each of the B·T positions, the index of the text token it holds in its sample's text ids, or −1 for
    /// image tokens and padding (set by <c>LlavaModel.BuildInput</c>; used to place training targets).
    /// </summary>
    public int[]? TextIndex { get; init; }
    /// <summary>
    /// Packed training sequences (B·T; null: one sequence per sample): the segment of each token, 0 for tokens every
    /// later token sees (BOS, the image), s &gt; 0 for the tokens of turn s, which no other turn sees
    /// (<see cref="AttentionMask.Segments"/>). Not with a KV cache.
    /// </summary>
    public int[]? Segments { get; init; }
    /// <summary>Compute logits of the last token only (generation).</summary>
    public bool LastLogitsOnly { get; init; }
    /// <summary>Return every layer's attention probabilities.</summary>
    public bool OutputAttentions { get; init; }
}

/// <summary>Output of a decoder forward pass (after any in-LLM token dropping).</summary>
/// <param name="Logits">(B, T', V), or (B, 1, V) with LastLogitsOnly.</param>
/// <param name="Positions">Position ids of the T' tokens that reached the last layer, in as many planes as the input's.</param>
/// <param name="Valid">Their validity.</param>
/// <param name="ImageSpans">Image spans after dropping (null when none were given).</param>
/// <param name="Attentions">Per layer (B, H, T, S) when requested.</param>
/// <param name="Decisions">Per dropping stage, in layer order, the decision it made (indices into that stage's input).</param>
public sealed record DecoderOutput(Tensor Logits, int[] Positions, bool[] Valid, ImageSpan[]? ImageSpans, IReadOnlyList<Tensor>? Attentions, IReadOnlyList<TokenDropDecision> Decisions);

/// <summary>The decoder stack: embed_tokens, layers, norm (HF <c>LlamaModel</c>, prefix <c>model.</c>).</summary>
public sealed class LlamaModel : Module
{
    /// <summary>Token embeddings (V, d).</summary>
    public Embedding EmbedTokens { get; }
    /// <summary>Decoder layers.</summary>
    public ModuleList<LlamaDecoderLayer> Layers { get; }
    /// <summary>Final RMSNorm.</summary>
    public RmsNorm Norm { get; }

    /// <summary>Creates the stack with random weights.</summary>
    public LlamaModel(LlamaConfig cfg, Generator gen)
    {
        EmbedTokens = Child("embed_tokens", new Embedding(cfg.VocabSize, cfg.HiddenSize, gen, std: 0.02f));
        Layers = Child("layers", new ModuleList<LlamaDecoderLayer>(Enumerable.Range(0, cfg.NumLayers).Select(_ => new LlamaDecoderLayer(cfg, gen))));
        Norm = Child("norm", new RmsNorm(cfg.HiddenSize, cfg.RmsNormEps));
    }
}

/// <summary>
/// LLaMA language model with its head (HF <c>LlamaForCausalLM</c>: <c>model.*</c>, <c>lm_head.weight</c>, the
/// head absent when tied to the embedding). Supports KV caching, padding, explicit position ids and in-LLM pruning.
/// </summary>
public sealed class LlamaForCausalLM : Module
{
    /// <summary>The configuration.</summary>
    public LlamaConfig Config { get; }
    /// <summary>The decoder stack.</summary>
    public LlamaModel Model { get; }
    /// <summary>The output head (null when tied to the embedding).</summary>
    public Linear? LmHead { get; }

    /// <summary>Creates the model with random weights from <paramref name="gen"/>.</summary>
    public LlamaForCausalLM(LlamaConfig cfg, Generator gen)
    {
        Config = cfg.Validate();
        Model = Child("model", new LlamaModel(cfg, gen));
        if (!cfg.TieWordEmbeddings) LmHead = Child("lm_head", new Linear(cfg.HiddenSize, cfg.VocabSize, false, gen));
    }

    /// <summary>Token embeddings of ids (B, T) → (B, T, d).</summary>
    public Tensor Embed(IntTensor ids) => Model.EmbedTokens.Forward(ids);

    /// <summary>Output head: hidden (..., d) → logits (..., V).</summary>
    public Tensor Head(Tensor hidden) => F.Linear(hidden, LmHead?.Weight ?? Model.EmbedTokens.Weight);

    /// <summary>Runs the decoder. Position ids, padding and droppers as described on <see cref="DecoderInput"/>.</summary>
    public DecoderOutput Forward(DecoderInput input)
    {
        var h = input.Embeds;
        if (h.Rank != 3 || h.Shape[2] != Config.HiddenSize)
            throw new ArgumentException($"decoder input {h.Describe()} must be (batch, tokens, {Config.HiddenSize})");
        int b = h.Shape[0];
        var positions = input.Positions;
        var valid = input.Valid ?? Enumerable.Repeat(true, h.Shape[0] * h.Shape[1]).ToArray();
        if (valid.Length != b * h.Shape[1])
            throw new ArgumentException($"decoder: {valid.Length} validity flags for {b}×{h.Shape[1]} tokens");
        PositionPlanes.Count(positions, valid.Length, multimodal: Config.MropeSection != null);
        if (input.Cache is { } c && (c.Batch != b || c.Layers != Config.NumLayers))
            throw new ArgumentException($"KV cache is for batch {c.Batch} and {c.Layers} layers, input has batch {b} and the model {Config.NumLayers} layers");
        var spans = input.ImageSpans;
        var droppers = OrderedDroppers(input, spans);
        var segments = input.Segments;
        if (segments != null && (input.Cache != null || droppers.Count > 0 || segments.Length != valid.Length))
            throw new ArgumentException($"decoder: {segments.Length} segment ids for {valid.Length} tokens; packed segments work without KV cache and token droppers");

        var attentions = input.OutputAttentions ? new List<Tensor>() : null;
        var decisions = new List<TokenDropDecision>();
        Tensor? previousProbs = null;
        var mask = SharedMask(input.Cache, valid, segments, b);
        var previousInput = h;
        int next = 0;
        for (int l = 0; l < Config.NumLayers; l++)
        {
            // without autograd a layer's intermediates are dead once it is done: they go back to the pool right away,
            // so that a long prefill reuses one layer's buffers instead of faulting in fresh pages for every layer
            using var layerBuffers = Autograd.IsEnabled ? null : TensorScope.Begin();
            if (next < droppers.Count && droppers[next].Layer == l)
            {
                var decision = droppers[next].Decide(new TokenDropContext(h, previousInput, previousProbs, positions, valid, spans!, input, this));
                decisions.Add(decision);
                (h, positions, valid, spans) = DropTokens(h, positions, valid, spans!, decision);
                mask = SharedMask(input.Cache, valid, segments, b);
                next++;
            }
            bool wantProbs = input.OutputAttentions || (next < droppers.Count && droppers[next].Layer == l + 1 && droppers[next].NeedsAttention);
            previousInput = h;
            (h, previousProbs) = Model.Layers[l].Forward(h, positions, valid, input.Cache, l, wantProbs, mask);
            if (previousProbs != null) attentions?.Add(previousProbs);
            if (layerBuffers != null) // what the next layer, its dropper or the caller reads
                foreach (var kept in new[] { h, previousInput, previousProbs }) if (kept != null) layerBuffers.Keep(kept);
        }
        UpdateNextPositions(input.Cache, positions, valid, b);
        h = Model.Norm.Forward(h);
        if (input.LastLogitsOnly) h = h.Slice(1, h.Shape[1] - 1, h.Shape[1]);
        return new DecoderOutput(Head(h), positions, valid, spans, attentions, decisions);
    }

    /// <summary>The droppers in layer order, checked: one per layer, each in 1..L−1, and image spans to act on.</summary>
    List<ITokenDropper> OrderedDroppers(DecoderInput input, ImageSpan[]? spans)
    {
        var droppers = input.Droppers.OrderBy(d => d.Layer).ToList();
        for (int i = 0; i < droppers.Count; i++)
        {
            int layer = droppers[i].Layer;
            if (layer < 1 || layer >= Config.NumLayers)
                throw new ArgumentException($"token dropper at layer {layer}: must be in 1..{Config.NumLayers - 1}");
            // a second stage at the same layer would be handed the first one's attention, which no longer fits its tokens
            if (i > 0 && droppers[i - 1].Layer == layer)
                throw new ArgumentException($"two token droppers at layer {layer}: give each layer at most one stage");
        }
        if (droppers.Count > 0 && spans == null) throw new ArgumentException("token droppers need the image spans of the input");
        return droppers;
    }

    /// <summary>Without a KV cache every layer sees the same keys: one mask, built once (with a cache each layer builds its own from the cached keys).</summary>
    static AttentionMask? SharedMask(KvCache? cache, bool[] valid, int[]? segments, int batch)
    {
        if (cache != null) return null;
        var mask = LlamaAttention.CausalMask(valid, batch);
        if (segments != null) mask = mask.And(AttentionMask.Segments(segments, batch));
        return mask.Cached();
    }

    static void UpdateNextPositions(KvCache? cache, int[] positions, bool[] valid, int b)
    {
        if (cache == null) return;
        var next = PositionPlanes.Next(positions, valid, b);
        for (int i = 0; i < b; i++) cache.NextPosition[i] = Math.Max(cache.NextPosition[i], next[i]);
    }

    /// <summary>Applies <paramref name="decision"/> to h (kept or merged rows), positions (every plane), validity and spans.</summary>
    static (Tensor, int[], bool[], ImageSpan[]) DropTokens(Tensor h, int[] positions, bool[] valid, ImageSpan[] spans, TokenDropDecision decision)
    {
        int b = h.Shape[0], t = h.Shape[1];
        var kept = decision.Gather(h); // validates the decision
        int k = decision.Count;
        var newValid = new bool[b * k];
        var newSpans = new ImageSpan[b];
        for (int i = 0; i < b; i++)
        {
            var ki = decision.Keep[i];
            int before = 0, inside = 0;
            for (int j = 0; j < k; j++)
            {
                newValid[i * k + j] = valid[i * t + ki[j]];
                if (ki[j] < spans[i].Start) before++;
                else if (spans[i].Contains(ki[j])) inside++;
            }
            newSpans[i] = new ImageSpan(before, inside);
        }
        return (kept, PositionPlanes.Keep(positions, t, decision.Keep), newValid, newSpans);
    }
}
