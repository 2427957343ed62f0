using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Models.Vlm;

// Legend: B = samples, N = merged tokens of an image (its grid's), K = tokens kept of them, E = the language model's width,
// T = input tokens of the longest sample.

/// <summary>
/// Qwen2.5-VL layout (HF <c>Qwen2_5_VLForConditionalGeneration</c> as the published checkpoints name it): <c>visual.*</c>
/// (<see cref="Qwen25VisionModel"/>, whose patch merger is the projector), <c>model.*</c> (the Qwen2 decoder) and
/// <c>lm_head.weight</c>. An image's merged tokens replace its <c>&lt;|image_pad|&gt;</c> placeholders in the prompt and
/// take three M-RoPE position planes (<see cref="Qwen25RopeIndex"/>). The pruning hooks (<see cref="IPruningHooks"/>) act
/// as on LLaVA: the pre-LLM function on the merged tokens (in the language model's space: nothing follows the merger), the
/// droppers inside the decoder; kept tokens keep their ids in all three planes, and the text after the image its own.
/// </summary>
public sealed partial class Qwen25VlModel : Module, IAnswerLoss, IVisionLanguageModel
{
    /// <summary>The configuration.</summary>
    public Qwen25VlConfig Config { get; }
    /// <summary>The vision tower with its merger (<c>visual</c>).</summary>
    public Qwen25VisionModel Visual { get; }
    /// <summary>The language model; its <c>model</c> and <c>lm_head</c> are this model's, under the same names.</summary>
    public LlamaForCausalLM LanguageModel { get; }

    /// <summary>Creates the model with random weights from <paramref name="gen"/>.</summary>
    /// <exception cref="ArgumentException">An inconsistent <paramref name="cfg"/> (<see cref="Qwen25VlConfig.Validate"/>).</exception>
    public Qwen25VlModel(Qwen25VlConfig cfg, Generator gen)
    {
        Config = cfg.Validate();
        Visual = Child("visual", new Qwen25VisionModel(cfg.Vision, gen));
        LanguageModel = new LlamaForCausalLM(cfg.Text, gen);
        Child("model", LanguageModel.Model);
        if (LanguageModel.LmHead is { } head) Child("lm_head", head);
    }

    /// <summary>
    /// Merged tokens of images (each (in_chans, R·p, C·p), resized and normalised, of any size its grid can merge), each
    /// image through the tower alone (as HF runs each image's windows and attention only over its own patches): features
    /// (B, N_max, E), image i's N_i tokens first in its row and zero padding after them when grids differ
    /// (<see cref="VisualTokens.CountOf"/>), nothing pruned yet; each image's grid, also in <see cref="VisualTokens.Grids"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No image, or a grid that cannot be merged.</exception>
    public (VisualTokens Tokens, Qwen25PatchGrid[] Grids) EncodeImages(IReadOnlyList<Tensor> pixels, bool globalAttention = false)
    {
        if (pixels.Count == 0) throw new ArgumentException("qwen2.5-vl: no image to encode");
        var tokens = Batch(pixels.Select(p => Visual.Encode(p, globalAttention)).ToArray());
        return (tokens, tokens.Grids!.ToArray());
    }

    /// <summary>Images encoded one by one (each its own merged tokens and grid) as one padded batch (B, N_max, E) with their grids.</summary>
    public static VisualTokens Batch(IReadOnlyList<Qwen25VisionOutput> encoded) =>
        VisualTokens.Cat(encoded.Select(e => VisualTokens.Of(e.Tokens.Unsqueeze(0))).ToArray()) with
        {
            Grids = encoded.Select(e => e.Grid).ToArray(),
            GlobalAttention = encoded.All(e => e.GlobalAttention != null) ? encoded.Select(e => e.GlobalAttention!).ToArray() : null,
        };

    /// <summary>The prompt ids that stand for an image of <paramref name="grid"/>: vision start, one image placeholder per merged token, vision end.</summary>
    public int[] ImagePlaceholders(Qwen25PatchGrid grid) =>
        [Config.VisionStartTokenId, .. Enumerable.Repeat(Config.ImageTokenId, grid.Tokens), Config.VisionEndTokenId];

    /// <summary>
    /// The language-model input: per sample, its text with the image's placeholders (<see cref="ImagePlaceholders"/> of its
    /// grid) replaced by its kept merged tokens, the first patchIndex[i].Length of <paramref name="tokens"/>' (B, K, E)
    /// slots (the rest padding where samples keep different numbers), left-padded to a common length. Position ids are
    /// three planes (<see cref="Qwen25RopeIndex"/>): kept token j takes the ids of merged token patchIndex[i][j] of
    /// <paramref name="grids"/>[i], the text after the image those it has with all N tokens present.
    /// <paramref name="textSegments"/> (per text token, 0 up to vision end) packs several turns about one image into one
    /// sample as <see cref="LlavaModel.BuildInput"/> does: each turn's ids (equal in all three planes) continue from the
    /// shared text before it as if it were the only turn, so a packed turn computes exactly what it computes alone.
    /// </summary>
    /// <exception cref="ArgumentException">Sizes disagree, a text without its image's placeholders, patch indices that
    /// are not ascending inside the grid, or segments that are not 0 up to vision end.</exception>
    public DecoderInput BuildInput(Tensor tokens, int[][] patchIndex, int[][] textIds, IReadOnlyList<Qwen25PatchGrid> grids, int[][]? textSegments = null)
    {
        int b = tokens.Shape[0], slots = tokens.Shape[1], d = Config.Text.HiddenSize;
        if (textIds.Length != b || patchIndex.Length != b || grids.Count != b || (textSegments != null && textSegments.Length != b))
            throw new ArgumentException($"qwen2.5-vl: batch of {b} images but {textIds.Length} texts, {patchIndex.Length} patch index lists, {grids.Count} grids and {textSegments?.Length} segment lists");
        var rows = new Row[b];
        for (int i = 0; i < b; i++)
        {
            int k = patchIndex[i].Length;
            if (k < 1 || k > slots) throw new ArgumentException($"qwen2.5-vl: sample {i} has {k} patch indices for {slots} visual token slots");
            var grid = grids[i];
            int start = PlaceholderStart(textIds[i], grid.Tokens, i), end = start + grid.Tokens;
            int[] pre = textIds[i][..start], post = textIds[i][end..];
            var parts = new List<Tensor>();
            if (pre.Length > 0) parts.Add(LanguageModel.Embed(new IntTensor(pre, 1, pre.Length)));
            parts.Add(k == slots ? tokens.Slice(0, i, i + 1) : tokens.Slice(0, i, i + 1).Slice(1, 0, k));
            if (post.Length > 0) parts.Add(LanguageModel.Embed(new IntTensor(post, 1, post.Length)));
            var positions = Qwen25RopeIndex.ForImage(pre.Length, grid.MergedRows, grid.MergedCols, post.Length, patchIndex[i]);
            var turn = PackedTurns.Of(textSegments?[i], textIds[i].Length, end, i); // vision end (post[0]) is shared
            if (textSegments != null)
                for (int p = 0, t = positions.Length / PositionPlanes.Multimodal; p < PositionPlanes.Multimodal; p++)
                    PackedTurns.PlaceAfterImage(positions.AsSpan(p * t + pre.Length + k, post.Length), turn.AsSpan(end), pre.Length + Math.Max(grid.MergedRows, grid.MergedCols));
            int[] text = [.. Enumerable.Range(0, pre.Length), .. Enumerable.Repeat(-1, k), .. Enumerable.Range(end, post.Length)];
            rows[i] = new(Tensor.Cat(parts, 1), positions, text, [.. text.Select(j => j < 0 ? 0 : turn[j])], pre.Length, k);
        }
        return LeftPadded(rows, d, textSegments != null);
    }

    /// <summary>One sample of the input before padding: embeddings (1, t, E), position planes (3·t), each token's text index
    /// (−1 for image tokens) and segment, and where its kept image tokens sit.</summary>
    sealed record Row(Tensor Embeds, int[] Positions, int[] TextIndex, int[] Segments, int ImageStart, int Kept);

    static DecoderInput LeftPadded(Row[] rows, int d, bool packed)
    {
        int b = rows.Length, len = rows.Max(r => r.TextIndex.Length), planes = PositionPlanes.Multimodal;
        var positions = new int[planes * b * len];
        var valid = new bool[b * len];
        var textIndex = Enumerable.Repeat(-1, b * len).ToArray();
        var segments = new int[b * len];
        var spans = new ImageSpan[b];
        var padded = new Tensor[b];
        for (int i = 0; i < b; i++)
        {
            int t = rows[i].TextIndex.Length, pad = len - t;
            padded[i] = pad == 0 ? rows[i].Embeds : Tensor.Cat([Tensor.Zeros(1, pad, d), rows[i].Embeds], 1);
            for (int p = 0; p < planes; p++) Array.Copy(rows[i].Positions, p * t, positions, (p * b + i) * len + pad, t);
            valid.AsSpan(i * len + pad, t).Fill(true);
            rows[i].TextIndex.CopyTo(textIndex, i * len + pad);
            rows[i].Segments.CopyTo(segments, i * len + pad);
            spans[i] = new ImageSpan(pad + rows[i].ImageStart, rows[i].Kept);
        }
        return new DecoderInput(Tensor.Cat(padded, 0), positions, valid) { ImageSpans = spans, TextIndex = textIndex, Segments = packed ? segments : null };
    }

    /// <summary>Index of the first of the <paramref name="n"/> contiguous image placeholders, checked to sit between vision start and end.</summary>
    int PlaceholderStart(int[] ids, int n, int sample)
    {
        int start = Array.IndexOf(ids, Config.ImageTokenId), count = ids.Count(t => t == Config.ImageTokenId);
        if (count != n || ids.AsSpan(start, n).ContainsAnyExcept(Config.ImageTokenId)
            || start < 1 || ids[start - 1] != Config.VisionStartTokenId || start + n >= ids.Length || ids[start + n] != Config.VisionEndTokenId)
            throw new ArgumentException($"qwen2.5-vl: text of sample {sample} must hold its image as vision start (id {Config.VisionStartTokenId}), " +
                $"{n} image placeholders (id {Config.ImageTokenId}, one per merged token of its grid) and vision end (id {Config.VisionEndTokenId}); " +
                $"it holds {count} placeholders (see ImagePlaceholders)");
        return start;
    }

    /// <summary>Everything before the language model: encode (with each token's global attention when <paramref name="method"/>
    /// reads attentions), <paramref name="method"/>'s pre-LLM function, the input with its droppers.</summary>
    /// <exception cref="ArgumentException">Bad inputs.</exception>
    public DecoderInput Prepare(IReadOnlyList<Tensor> pixels, int[][] textIds, IPruningHooks? method = null)
    {
        var (tokens, grids) = EncodeImages(pixels, method?.NeedsVisionAttentions ?? false);
        var kept = VlmInference.PruneBefore(tokens, method);
        return BuildInput(kept.Features, kept.PatchIndex, textIds, grids) with { Droppers = method?.Droppers ?? [] };
    }

    /// <summary>A full forward pass from pixels with <paramref name="method"/> (logits of every position, or of the last).</summary>
    public DecoderOutput Forward(IReadOnlyList<Tensor> pixels, int[][] textIds, IPruningHooks? method = null, bool lastLogitsOnly = false) =>
        LanguageModel.Forward(Prepare(pixels, textIds, method) with { LastLogitsOnly = lastLogitsOnly });

    /// <summary>Up to <paramref name="maxNewTokens"/> generated ids per sample (KV-cached; stopping after <paramref name="eosId"/>;
    /// greedy unless <paramref name="sampling"/>), each new token one past the largest id of any plane so far.</summary>
    public int[][] Generate(IReadOnlyList<Tensor> pixels, int[][] textIds, IPruningHooks? method, int maxNewTokens, int? eosId, SamplingOptions? sampling = null)
    {
        using var _ = Autograd.NoGrad();
        return Generation.Generate(LanguageModel, Prepare(pixels, textIds, method), maxNewTokens, sampling ?? SamplingOptions.Greedy, eosId);
    }

    /// <summary>
    /// Answer-token NLL with teacher forcing of texts about <paramref name="tokens"/> (of <paramref name="grids"/>) after
    /// <paramref name="method"/>'s pre-LLM function; <paramref name="isAnswer"/> marks the scored text tokens (see
    /// <see cref="AnswerTargets"/>). Also the flattened logits (B·T, V) and targets.
    /// </summary>
    /// <exception cref="ArgumentException">A method with in-LLM stages (they decide on a prompt, not on a whole answer).</exception>
    public (Tensor Loss, Tensor Logits, int[] Targets) AnswerLoss(VisualTokens tokens, IReadOnlyList<Qwen25PatchGrid> grids, IPruningHooks? method, int[][] textIds, bool[][] isAnswer)
    {
        if (method?.Droppers.Count > 0) throw new ArgumentException("a teacher-forced answer loss runs pre-LLM methods only: in-LLM stages decide on the prompt");
        var kept = VlmInference.PruneBefore(tokens, method);
        var input = BuildInput(kept.Features, kept.PatchIndex, textIds, grids);
        var logits = LanguageModel.Forward(input).Logits;
        var flat = logits.Reshape(-1, logits.Shape[^1]);
        var targets = AnswerTargets.Build(input, textIds, isAnswer);
        return (F.CrossEntropy(flat, targets), flat, targets);
    }

    /// <summary>The answer loss of <paramref name="tokens"/> as given (no pruning method), each image placed by its grid in
    /// <see cref="VisualTokens.Grids"/>: what DiffPrune trains through (the merged tokens need no projector).</summary>
    /// <exception cref="ArgumentException">Tokens without their grids, or bad inputs.</exception>
    public (Tensor Loss, Tensor Logits, int[] Targets) AnswerLoss(VisualTokens tokens, int[][] textIds, bool[][] isAnswer) =>
        AnswerLoss(tokens, GridsOf(tokens), null, textIds, isAnswer);
}
