using DiffPrune.Data.Images;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Models.Vlm;

/// <summary>
/// LLaVA-1.5 layout (llava-hf tensor names): <c>vision_tower.vision_model.*</c>, <c>multi_modal_projector.linear_{1,2}</c>,
/// <c>language_model.model.*</c>, <c>language_model.lm_head</c>. Visual tokens come from vision layer −2 without CLS,
/// are projected and placed at the image token of the text. Inference runs through <see cref="VlmInference"/>, which
/// also holds the two pruning hooks (<see cref="IPruningHooks"/>). With <see cref="LlavaConfig.ImageGridPinpoints"/> it is
/// LLaVA-NeXT: images are tiled (<see cref="AnyResEncoder"/>) and the learned <c>image_newline</c> closes each row of tile
/// features (<see cref="VisualSpan"/>).
/// </summary>
public sealed partial class LlavaModel : Module, IVisionLanguageModel
{
    /// <summary>The configuration.</summary>
    public LlavaConfig Config { get; }
    /// <summary>The vision encoder.</summary>
    public ClipVisionModel VisionTower { get; }
    /// <summary>The projector.</summary>
    public LlavaProjector Projector { get; }
    /// <summary>The language model.</summary>
    public LlamaForCausalLM LanguageModel { get; }
    /// <summary>LLaVA-NeXT's learned row separator (d), in the language model's space; null without AnyRes.</summary>
    public Tensor? ImageNewline { get; }

    /// <summary>Creates the model with random weights from <paramref name="gen"/>.</summary>
    public LlavaModel(LlavaConfig cfg, Generator gen)
    {
        Config = cfg.Validate();
        VisionTower = Child("vision_tower", new ClipVisionModel(cfg.Vision, gen));
        Projector = Child("multi_modal_projector", new LlavaProjector(cfg, gen));
        LanguageModel = Child("language_model", new LlamaForCausalLM(cfg.Text, gen));
        // llava-hf's init: N(0, 1/d)
        if (cfg.IsAnyRes) ImageNewline = Parameter("image_newline", Tensor.Randn(gen, [cfg.Text.HiddenSize], 0f, 1f / MathF.Sqrt(cfg.Text.HiddenSize)));
    }

    /// <summary>Runs the vision tower up to the feature layer and returns its patch tokens (CLS dropped), all N per sample.</summary>
    public VisualTokens EncodeImages(Tensor pixels, bool outputAttentions = false)
    {
        var vision = VisionTower.VisionModel.Forward(pixels, Config.VisionLayersNeeded, outputAttentions);
        var h = vision.HiddenStates[Config.VisionLayersNeeded];
        int b = h.Shape[0], n = Config.Vision.NumPatches;
        var patches = h.Slice(1, 1, 1 + n);
        return new VisualTokens(patches, AllPatches(b), vision);
    }

    /// <summary>
    /// The visual tokens of <paramref name="images"/> in order, with no tower output kept: one batch of the tower's input size,
    /// or on a LLaVA-NeXT model each image's views (<see cref="AnyResEncoder"/>), with its spans and positions, zero-padded in the
    /// batch when images give different counts. <see cref="VlmInference"/> caches what this computes; training calls it directly.
    /// </summary>
    public VisualTokens EncodeImages(IReadOnlyList<RgbImage> images, ImageNormalization? normalization = null)
    {
        var norm = normalization ?? ImageNormalization.Clip;
        if (Config.IsAnyRes) return VisualTokens.Cat(images.Select(image => AnyResEncoder.Encode(this, image, norm)).ToArray());
        return EncodeImages(ImageTensors.ToTensor(images, norm)) with { Vision = null };
    }

    /// <summary>Patch indices 0 … N−1 for each of <paramref name="batch"/> samples (nothing pruned).</summary>
    public int[][] AllPatches(int batch) => Enumerable.Range(0, batch).Select(_ => Enumerable.Range(0, Config.Vision.NumPatches).ToArray()).ToArray();

    /// <summary>
    /// Builds the language-model input: per sample, text before the image token, the projected visual tokens (the
    /// first patchIndex[i].Length of the K slots: adaptive pruners keep different numbers), the text after. Samples
    /// are left-padded to a common length. Position ids: visual token j gets
    /// start + PatchIndex[j] and text after the image start + N + m, exactly as if all N tokens were present
    /// (with <paramref name="reindex"/>, positions are contiguous instead).
    /// <paramref name="textSegments"/> (per text token: 0 = seen by all later tokens, s &gt; 0 = turn s) packs several
    /// turns about one image into one sample: a turn sees the shared tokens before it and itself, and its positions
    /// continue from the shared tokens as if it were the only turn, so a packed turn computes exactly what it would
    /// alone (<see cref="DecoderInput.Segments"/>). Text before the image must be shared.
    /// <paramref name="spans"/> (LLaVA-NeXT) gives each image its own span: N is then its span's length, and its
    /// newline tokens sit at their positions between the kept visual tokens (null: every image spans N = g² tokens).
    /// </summary>
    public DecoderInput BuildInput(Tensor projected, int[][] patchIndex, int[][] textIds, bool reindex = false, int[][]? textSegments = null,
        IReadOnlyList<VisualSpan>? spans = null)
    {
        int b = projected.Shape[0], slots = projected.Shape[1], d = Config.Text.HiddenSize;
        if (textIds.Length != b || patchIndex.Length != b || (textSegments != null && textSegments.Length != b) || (spans != null && spans.Count != b))
            throw new ArgumentException($"batch of {b} images but {textIds.Length} texts, {patchIndex.Length} patch index lists, {textSegments?.Length} segment lists and {spans?.Count} spans");
        var pieces = new List<Tensor>();
        var rows = new List<(int[] Pos, int[] Text, int[] Segment, int Start, int Length)>();
        for (int i = 0; i < b; i++)
        {
            int slot = ImageSlot(textIds[i], i), k = patchIndex[i].Length;
            if (k < 1 || k > slots) throw new ArgumentException($"sample {i} has {k} patch indices for {slots} visual token slots");
            var span = spans?[i] ?? VisualSpan.Plain(Config.Vision.NumPatches);
            var (visual, visualPos) = VisualPart(k == slots ? projected.Slice(0, i, i + 1) : projected.Slice(0, i, i + 1).Slice(1, 0, k), patchIndex[i], span, i);
            int n = span.Length, v = visualPos.Length;
            var pre = textIds[i][..slot];
            var post = textIds[i][(slot + 1)..];
            var turn = PackedTurns.Of(textSegments?[i], textIds[i].Length, slot, i);
            var parts = new List<Tensor>();
            if (pre.Length > 0) parts.Add(LanguageModel.Embed(new IntTensor(pre, 1, pre.Length)));
            parts.Add(visual);
            if (post.Length > 0) parts.Add(LanguageModel.Embed(new IntTensor(post, 1, post.Length)));
            pieces.Add(Tensor.Cat(parts, 1));
            var pos = new int[pre.Length + v + post.Length];
            for (int j = 0; j < pre.Length; j++) pos[j] = j;
            for (int j = 0; j < v; j++) pos[pre.Length + j] = pre.Length + (reindex ? j : visualPos[j]);
            PackedTurns.PlaceAfterImage(pos.AsSpan(pre.Length + v), turn.AsSpan(slot + 1), pre.Length + (reindex ? v : n));
            var text = new int[pos.Length];
            var segment = new int[pos.Length];
            for (int j = 0; j < text.Length; j++)
            {
                text[j] = j < pre.Length ? j : j < pre.Length + v ? -1 : j - v + 1;
                segment[j] = text[j] < 0 ? 0 : turn[text[j]];
            }
            rows.Add((pos, text, segment, pre.Length, v));
        }
        int len = rows.Max(r => r.Pos.Length);
        var positions = new int[b * len];
        var valid = new bool[b * len];
        var segments = new int[b * len];
        var textIndex = Enumerable.Repeat(-1, b * len).ToArray();
        var imageSpans = new ImageSpan[b];
        var padded = new List<Tensor>();
        for (int i = 0; i < b; i++)
        {
            int pad = len - rows[i].Pos.Length;
            padded.Add(pad == 0 ? pieces[i] : Tensor.Cat([Tensor.Zeros(1, pad, d), pieces[i]], 1));
            for (int j = 0; j < rows[i].Pos.Length; j++)
            {
                positions[i * len + pad + j] = rows[i].Pos[j];
                valid[i * len + pad + j] = true;
                textIndex[i * len + pad + j] = rows[i].Text[j];
                segments[i * len + pad + j] = rows[i].Segment[j];
            }
            imageSpans[i] = new ImageSpan(pad + rows[i].Start, rows[i].Length);
        }
        return new DecoderInput(Tensor.Cat(padded, 0), positions, valid)
        {
            ImageSpans = imageSpans,
            TextIndex = textIndex,
            Segments = textSegments == null ? null : segments,
        };
    }

    /// <summary>
    /// The image's part of the input (1, V, d) and each row's position inside the span: the kept tokens
    /// <paramref name="projected"/> (1, K, d) at their patch positions and the span's newline tokens at theirs, in
    /// position order.
    /// </summary>
    (Tensor Visual, int[] Positions) VisualPart(Tensor projected, int[] patchIndex, VisualSpan span, int sample)
    {
        if (patchIndex.Length > 0 && (patchIndex[0] < 0 || patchIndex[^1] >= span.Length))
            throw new ArgumentException($"sample {sample} has patch indices outside its span of {span.Length} positions");
        if (span.Newlines.Length == 0) return (projected, patchIndex);
        var newline = ImageNewline ?? throw new ArgumentException($"sample {sample} has a span with newline tokens but the model has no image_newline (not LLaVA-NeXT)");
        int k = patchIndex.Length, d = Config.Text.HiddenSize;
        var order = new List<int>(k + span.Newlines.Length);
        var positions = new List<int>(order.Capacity);
        for (int a = 0, c = 0; a < k || c < span.Newlines.Length;)
        {
            bool token = c == span.Newlines.Length || (a < k && patchIndex[a] < span.Newlines[c]);
            if (!token && a < k && patchIndex[a] == span.Newlines[c])
                throw new ArgumentException($"sample {sample}: patch index {patchIndex[a]} is a newline position of its span");
            order.Add(token ? a : k);
            positions.Add(token ? patchIndex[a++] : span.Newlines[c++]);
        }
        var rows = Tensor.Cat([projected.Reshape(k, d), newline.Reshape(1, d)], 0);
        return (rows.IndexSelect(0, order.ToArray()).Reshape(1, order.Count, d), positions.ToArray());
    }

    /// <summary>
    /// Text that continues a prefix ending with the image (<c>text before it; the image</c>), already in a KV cache:
    /// embeddings of <paramref name="textAfterImage"/> (none empty), left-padded to a common length, at the positions
    /// <see cref="BuildInput"/> gives text after the image (<paramref name="textBeforeImage"/> + N + m, N the length of
    /// each row's image span, <paramref name="spanLengths"/>, or g² when null).
    /// </summary>
    /// <exception cref="ArgumentException">An empty continuation (its first answer token would come from the prefix).</exception>
    public DecoderInput BuildContinuation(int[][] textAfterImage, int textBeforeImage, int[]? spanLengths = null) =>
        ImageContinuation.Build(LanguageModel, textAfterImage, textBeforeImage, spanLengths ?? textAfterImage.Select(_ => Config.Vision.NumPatches).ToArray());

    int ImageSlot(int[] ids, int sample)
    {
        int count = ids.Count(t => t == Config.ImageTokenId);
        if (count != 1)
            throw new ArgumentException($"text of sample {sample} holds {count} image tokens (id {Config.ImageTokenId}); exactly one marks where the image goes");
        return Array.IndexOf(ids, Config.ImageTokenId);
    }
}
