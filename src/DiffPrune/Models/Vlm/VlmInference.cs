using DiffPrune.Data.Images;
using DiffPrune.Models.Llama;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Distributed;

namespace DiffPrune.Models.Vlm;

/// <summary>
/// The one inference path of a VLM (<see cref="IVisionLanguageModel"/>: LLaVA, LLaVA-NeXT, Qwen2.5-VL): image → vision features (<see cref="Encode(IReadOnlyList{RgbImage}, bool)"/>)
/// → a method's pre-LLM function → projector and LLM input (<see cref="Assemble"/>) → prefill with its in-LLM droppers
/// (<see cref="Prefill"/>) → KV-cached generation, batched (<see cref="Generate"/>). Features of an image (by reference)
/// are encoded once and kept for every later method and question, with attention maps only where a method reads them;
/// each step is public, so that a profiler can time it alone. A prompt holds its image token once, whatever the model.
/// </summary>
/// <param name="vlm">The model (never changed).</param>
/// <param name="normalization">Pixel normalisation of images (CLIP's when null).</param>
public sealed class VlmInference(IVisionLanguageModel vlm, ImageNormalization? normalization = null) : IAnswerLoss
{
    readonly Dictionary<RgbImage, VisualTokens>[] _features = [new(ReferenceEqualityComparer.Instance), new(ReferenceEqualityComparer.Instance)];

    /// <summary>The model.</summary>
    public IVisionLanguageModel Model => vlm;

    /// <summary>Runs the vision tower on <paramref name="pixels"/> (B, 3, H, W), normalised, with nothing kept (what a profile times).</summary>
    /// <exception cref="ArgumentException">A model other than LLaVA (its images are not one batch of one size).</exception>
    public VisualTokens Encode(Tensor pixels, bool attentions = false) => AsLlava("encoding a pixel batch of one size").EncodeImages(pixels, attentions);

    /// <summary>The model, for a <paramref name="step"/> that is LLaVA's (one tower grid, pixel batches of one size).</summary>
    /// <exception cref="ArgumentException">Another model (the message names the step).</exception>
    public LlavaModel AsLlava(string step) => vlm as LlavaModel ?? throw new ArgumentException(
        $"{step} runs on LLaVA models only; {vlm.GetType().Name} is evaluated through Generate, SceneBenchEvaluator or TableEvaluation");

    /// <summary>
    /// The features of <paramref name="images"/>, in order: those not seen before are encoded together, once
    /// (<see cref="IVisionLanguageModel.Encode"/>; CLIP's normalisation, which LLaVA's and Qwen2.5-VL's image processors
    /// use, unless given); the tower's hidden states and attention maps are kept only when <paramref name="attentions"/>.
    /// Images that give different numbers of tokens (LLaVA-NeXT's tiles, Qwen2.5-VL's native resolution) are zero-padded
    /// in the batch (<see cref="VisualTokens.CountOf"/>).
    /// </summary>
    /// <exception cref="ArgumentException">Images the model cannot encode, or attention maps it does not have (LLaVA-NeXT, Qwen2.5-VL).</exception>
    public VisualTokens Encode(IReadOnlyList<RgbImage> images, bool attentions = false)
    {
        var cache = _features[attentions ? 1 : 0];
        var missing = images.Where(i => !cache.ContainsKey(i)).Distinct(ReferenceEqualityComparer.Instance).Cast<RgbImage>().ToArray();
        if (missing.Length > 0)
        {
            using var _ = Autograd.NoGrad();
            var encoded = vlm.Encode(missing, normalization ?? ImageNormalization.Clip, attentions);
            for (int i = 0; i < missing.Length; i++) cache[missing[i]] = encoded.Sample(i);
        }
        return VisualTokens.Cat(images.Select(i => cache[i]).ToArray());
    }

    /// <summary>
    /// The tokens <paramref name="method"/>'s pre-LLM function keeps (all of them when it has none). A batch whose
    /// images hold different numbers of tokens (LLaVA-NeXT, Qwen2.5-VL) is pruned image by image, so that a method sees exactly one
    /// image's N tokens, never padding.
    /// </summary>
    public static VisualTokens PruneBefore(VisualTokens tokens, IPruningHooks? method)
    {
        if (method?.PreLlm is not { } preLlm) return tokens;
        if (!tokens.IsPadded) return preLlm(tokens);
        return VisualTokens.Cat(Enumerable.Range(0, tokens.PatchIndex.Length).Select(i => preLlm(tokens.Sample(i))).ToArray());
    }

    /// <summary>The LLM input: <paramref name="tokens"/> projected and placed at the image token of each text (one per image; see
    /// <see cref="IVisionLanguageModel.BuildInput"/>), with <paramref name="droppers"/> as its in-LLM stages.</summary>
    public DecoderInput Assemble(VisualTokens tokens, int[][] textIds, IReadOnlyList<ITokenDropper>? droppers = null) =>
        AssembleProjected(Projected(tokens), textIds, droppers);

    /// <summary><paramref name="tokens"/> in the language model's space, without the tower's output.</summary>
    VisualTokens Projected(VisualTokens tokens) => tokens with { Features = vlm.Project(tokens.Features), Vision = null };

    DecoderInput AssembleProjected(VisualTokens projected, int[][] textIds, IReadOnlyList<ITokenDropper>? droppers) =>
        vlm.BuildInput(projected, textIds) with { Droppers = droppers ?? [] };

    /// <summary>Everything before the language model, from pixels (LLaVA): encode, <paramref name="method"/>'s pre-LLM function, assemble with its droppers.</summary>
    public DecoderInput Prepare(Tensor pixels, int[][] textIds, IPruningHooks? method = null) =>
        Assemble(PruneBefore(Encode(pixels, method?.NeedsVisionAttentions ?? false), method), textIds, method?.Droppers);

    /// <summary>A full forward pass from pixels (LLaVA) with <paramref name="method"/> (logits of every position, or of the last).</summary>
    public DecoderOutput Forward(Tensor pixels, int[][] textIds, IPruningHooks? method = null, bool lastLogitsOnly = false) =>
        vlm.LanguageModel.Forward(Prepare(pixels, textIds, method) with { LastLogitsOnly = lastLogitsOnly });

    /// <summary>Runs <paramref name="input"/> through the language model into <paramref name="cache"/> (if any); logits of the last position.</summary>
    public DecoderOutput Prefill(DecoderInput input, KvCache? cache = null) =>
        vlm.LanguageModel.Forward(input with { Cache = cache, LastLogitsOnly = true });

    /// <summary>
    /// Answer-token NLL with teacher forcing (LLaVA's instruction-tuning loss, differentiable in the tokens) of texts about
    /// <paramref name="tokens"/> after <paramref name="method"/>'s pre-LLM function; <paramref name="isAnswer"/> marks the
    /// scored text tokens and <paramref name="textSegments"/> packs turns that do not see each other (see
    /// <see cref="IVisionLanguageModel.BuildInput"/>). Also the flattened logits (B·T, V) and targets, for accuracy.
    /// </summary>
    /// <exception cref="ArgumentException">A method with in-LLM stages (they decide on a prompt, not on a whole answer).</exception>
    public (Tensor Loss, Tensor Logits, int[] Targets) AnswerLoss(VisualTokens tokens, IPruningHooks? method, int[][] textIds, bool[][] isAnswer, int[][]? textSegments = null)
    {
        if (method?.Droppers.Count > 0) throw new ArgumentException("a teacher-forced answer loss runs pre-LLM methods only: in-LLM stages decide on the prompt");
        var kept = PruneBefore(tokens, method);
        var input = vlm.BuildInput(Projected(kept), textIds, textSegments);
        var logits = vlm.LanguageModel.Forward(input).Logits;
        var flat = logits.Reshape(-1, logits.Shape[^1]);
        var targets = AnswerTargets.Build(input, textIds, isAnswer);
        return (F.CrossEntropy(flat, targets), flat, targets);
    }

    /// <summary>The answer loss of <paramref name="tokens"/> as given (no pruning method): projector, then the language model.</summary>
    (Tensor Loss, Tensor Logits, int[] Targets) IAnswerLoss.AnswerLoss(VisualTokens tokens, int[][] textIds, bool[][] isAnswer) =>
        AnswerLoss(tokens, null, textIds, isAnswer);

    /// <summary>
    /// Up to <paramref name="maxNewTokens"/> generated ids (stopping after <paramref name="eosId"/>; greedy unless
    /// <paramref name="sampling"/>) for each query, an image and a text holding its image token, in order. Each distinct
    /// image is encoded (<see cref="Encode(IReadOnlyList{RgbImage}, bool)"/>) and pre-LLM-pruned once for all its queries,
    /// <paramref name="batchSize"/> images at a time (and up to four times as many queries). Without in-LLM droppers, when
    /// every text shares its part up to the image token and goes on after it, that part and the image are prefilled once
    /// per image and the KV cache shared by its queries; otherwise (in-LLM droppers decide per prompt) each query runs whole,
    /// with queries on images of one N together (a stage at a rate decides one K for its batch).
    /// With a <paramref name="share"/>, only its batches of images run (the others' answers stay null): every batch is the
    /// one a single process forms, so that sharded answers are bit for bit a single process's.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A batch size below 1.</exception>
    /// <exception cref="ResourceLimitException">A prompt, with every visual token and the answer, needs more positions than the model has.</exception>
    public int[]?[] Generate(IReadOnlyList<(RgbImage Image, int[] TextIds)> queries, IPruningHooks? method, int maxNewTokens, int? eosId,
        int batchSize = 16, SamplingOptions? sampling = null, WorkShare? share = null)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batch size must be at least 1 (got {batchSize})");
        vlm.CheckPositions(queries, maxNewTokens);
        using var _ = Autograd.NoGrad();
        var answers = new int[]?[queries.Count];
        var byImage = Enumerable.Range(0, queries.Count).GroupBy(q => queries[q].Image, ReferenceEqualityComparer.Instance).ToArray();
        var head = SharedHead(queries.Select(q => q.TextIds).ToArray(), method);
        foreach (var (batch, index) in byImage.Chunk(batchSize).Select((b, i) => (b, i)))
        {
            if (share is { } s && !s.Owns(index)) continue;
            // the features (kept for later methods) and what a pre-LLM hook sees and returns stay the GC's: a hook may keep them
            var tokens = PruneBefore(Encode(batch.Select(g => (RgbImage)g.Key!).ToArray(), method?.NeedsVisionAttentions ?? false), method);
            using var batchBuffers = TensorScope.Begin(); // everything below returns to the pool when the batch is answered
            var projected = Projected(tokens);
            var rows = batch.SelectMany((g, i) => g.Select(q => (Query: q, Image: i))).ToArray();
            using var prefix = head == null ? null : new KvCache(vlm.LanguageModel.Config.NumLayers, batch.Length);
            if (prefix != null) Prefill(AssembleProjected(projected, Enumerable.Repeat(head!, batch.Length).ToArray(), null), prefix);
            foreach (var chunk in QueryChunks(rows, tokens, method, batchSize * 4))
            {
                using var chunkBuffers = TensorScope.Begin();
                var imageOf = chunk.Select(r => r.Image).ToArray();
                var text = chunk.Select(r => queries[r.Query].TextIds).ToArray();
                var input = prefix != null
                    ? ImageContinuation.Build(vlm.LanguageModel, text.Select(t => t[head!.Length..]).ToArray(), textBeforeImage: head!.Length - 1,
                        imageOf.Select(i => vlm.ImagePositions(tokens, i)).ToArray())
                    : AssembleProjected(projected.Rows(imageOf), text, method?.Droppers);
                using var continued = prefix?.Gather(imageOf);
                var ids = Generation.Generate(vlm.LanguageModel, input, maxNewTokens, sampling ?? SamplingOptions.Greedy, eosId, cache: continued);
                for (int i = 0; i < chunk.Length; i++) answers[chunk[i].Query] = ids[i];
            }
        }
        return answers;
    }

    /// <summary>Up to <paramref name="size"/> queries at a time, in order; with in-LLM droppers, the queries on images of each N
    /// (their visual token counts) apart, so that a stage at a rate has one K per batch.</summary>
    static IEnumerable<(int Query, int Image)[]> QueryChunks((int Query, int Image)[] rows, VisualTokens tokens, IPruningHooks? method, int size) =>
        method?.Droppers.Count > 0
            ? rows.GroupBy(r => tokens.CountOf(r.Image)).SelectMany(g => g.Chunk(size))
            : rows.Chunk(size);

    /// <summary>The text up to and including the image token, when every query shares it, goes on after it and no in-LLM stage runs; else null.</summary>
    int[]? SharedHead(int[][] texts, IPruningHooks? method)
    {
        if (texts.Length == 0 || method?.Droppers.Count > 0) return null;
        int slot = Array.IndexOf(texts[0], vlm.ImageTokenId);
        var head = texts[0][..(slot + 1)];
        return slot >= 0 && texts.All(t => t.Length > head.Length && t.AsSpan(0, head.Length).SequenceEqual(head)) ? head : null;
    }
}
