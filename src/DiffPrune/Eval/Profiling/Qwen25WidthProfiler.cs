using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Tensors;

namespace DiffPrune.Eval.Profiling;

// Legend: N = merged visual tokens of the image, K = kept, E = the LLM's width (the merger's output), T = sequence length.

/// <summary>
/// Paper Table 4 at Qwen2.5-VL's true width, the way <see cref="LlavaWidthProfiler"/> does it for LLaVA: random weights,
/// the image's N merged tokens of width E, a Qwen2-shaped decoder (grouped-query attention, q/k/v biases, M-RoPE) of
/// <see cref="LlavaWidthOptions.DecoderLayers"/> layers. Measured at true width: <see cref="LlavaWidthOptions.VisionLayers"/>
/// tower blocks (the last one attending over the whole image, the others within windows) with the patch embedding and
/// merger, scaled to the tower's depth; every decision (pre-LLM methods on the merged tokens, in-LLM stages on the contexts
/// they meet in the shallow decoder); one decoder layer at each sequence length that occurs. Extrapolated: the full-depth
/// prefill from the method's schedule, read off the method built for the full depth on a narrow decoder of the same N.
/// Qwen2.5-VL has no projector after its merger: the prefill is the decoder alone. Kept tokens keep their M-RoPE ids.
/// </summary>
internal sealed class Qwen25WidthProfiler : IRowProfiler
{
    const int Vocabulary = 256, NarrowWidth = 12;

    readonly Qwen25VisionModel _tower;
    readonly LlamaForCausalLM _decoder, _narrowDecoder;
    readonly LlavaModel _shallowDepth, _fullDepth;
    readonly Tensor _pixels;
    readonly int[] _textAfter;
    readonly Generator _gen;
    VisualTokens? _encoded;
    readonly HashSet<int> _layerLengths = [];

    /// <summary>Builds the models of <paramref name="target"/> (default Qwen2.5-VL-7B; random weights from <see cref="LlavaWidthOptions.Seed"/>).</summary>
    /// <exception cref="ArgumentException">Invalid options or target.</exception>
    public Qwen25WidthProfiler(LlavaWidthOptions options, Qwen25WidthTarget? target = null)
    {
        options.Validate();
        Target = (target ?? Qwen25WidthTarget.Qwen25VL7B()).Validate();
        if (options.VisionLayers > Target.Vision.Depth || options.DecoderLayers > Target.Text.NumLayers)
            throw new ArgumentException($"7B-width profiling of Qwen2.5-VL builds at most the target's {Target.Vision.Depth} vision blocks and {Target.Text.NumLayers} decoder layers; got {options.VisionLayers} and {options.DecoderLayers}");
        _gen = new Generator(options.Seed);
        _tower = new Qwen25VisionModel(Target.Vision with { Depth = options.VisionLayers, FullAttentionBlocks = [options.VisionLayers - 1] }, _gen);
        _decoder = new LlamaForCausalLM(Target.Text with { NumLayers = options.DecoderLayers, VocabSize = Vocabulary }, _gen);
        _narrowDecoder = new LlamaForCausalLM(NarrowText(), _gen);
        _shallowDepth = DepthCarrier(options.DecoderLayers);
        _fullDepth = DepthCarrier(Target.Text.NumLayers);
        var grid = Target.Grid;
        _pixels = Tensor.Randn(_gen, [Target.Vision.InChannels, grid.Rows * Target.Vision.PatchSize, grid.Cols * Target.Vision.PatchSize]);
        _textAfter = Enumerable.Range(0, options.TextTokens - 1).Select(_ => 4 + _gen.NextInt(Vocabulary - 4)).ToArray();
        BuiltBlocks = options.VisionLayers;
    }

    /// <summary>The model the figures stand for (FLOPs are counted on it).</summary>
    public Qwen25WidthTarget Target { get; }

    /// <summary>Tower blocks built and timed.</summary>
    public int BuiltBlocks { get; }

    /// <summary>Encoding time measured on the built blocks is multiplied by this (the tower's depth / blocks built).</summary>
    public double VisionScale => (double)Target.Vision.Depth / BuiltBlocks;

    /// <inheritdoc/>
    public Func<Func<string, double>, MethodProfile> Prepare(int index, ComparedMethod compared, InterleavedTimer timer)
    {
        var method = compared.Build(_shallowDepth);
        var parts = new RowParts(timer, index);
        string encode = parts.Encoding(false, () => Encode());
        var tokens = parts.PreLlm(method, Encoded());
        var stages = CapturedDropper.Stages(method);
        if (stages.Length > 0) _decoder.Forward(Input(_decoder, tokens.Features, tokens.PatchIndex[0], stages));
        parts.Stages(stages);
        var deep = stages.Length == 0 ? method : compared.Build(_fullDepth);
        var schedule = stages.Length == 0
            ? TokenSchedule.Constant(tokens.Count, 1 + tokens.Count + _textAfter.Length, Target.Text.NumLayers)
            : ObserveNarrow(deep);
        var layers = schedule.LayerTokens.Select(t => AddLayer(timer, t)).ToArray();
        var flops = FlopCount.OfQwen25(Target.Vision, Target.Grid, Target.Text, schedule);
        string? note = stages.Length == deep.Droppers.Count ? null
            : $"decision timed in the {_decoder.Config.NumLayers}-layer LLM, where its {deep.Droppers.Count} stages merge into {stages.Length}";
        return median => MethodProfile.Of(compared.Label, deep, flops, schedule, median(encode) * VisionScale, parts.DecisionMs(median),
            layers.Sum(median), note);
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<int, double>? DecoderLayerMs(Func<string, double> median) =>
        _layerLengths.Order().ToDictionary(t => t, t => median(LayerKey(t)));

    /// <summary>The image through the built blocks and the merger: (1, N, E) merged tokens, all N kept.</summary>
    VisualTokens Encode()
    {
        var merged = _tower.Encode(_pixels).Tokens;                                       // (N, E)
        return VisualTokens.Of(merged.Reshape(1, merged.Shape[0], merged.Shape[1]));
    }

    VisualTokens Encoded() => _encoded ??= Encode();

    /// <summary>A method's full-depth schedule, from its decisions in the narrow decoder on all N tokens (random features).</summary>
    TokenSchedule ObserveNarrow(IPruningMethod deep)
    {
        int n = Target.VisualTokens;
        var input = Input(_narrowDecoder, Tensor.Randn(_gen, [1, n, NarrowWidth]), Enumerable.Range(0, n).ToArray(), deep.Droppers);
        var output = _narrowDecoder.Forward(input);
        return TokenSchedule.FromStages(n, input.Embeds.Shape[1], Target.Text.NumLayers,
            deep.Droppers.Select(d => d.Layer).Order().ToArray(), output.Decisions.Select(d => d.Count).ToArray());
    }

    /// <summary>
    /// The decoder input of BOS, the visual tokens <paramref name="features"/> (1, K, E) at merged-grid indices
    /// <paramref name="kept"/>, and the text after the image: (1, T, E) with their M-RoPE ids as HF's get_rope_index
    /// gives the unpruned prompt (<see cref="Qwen25RopeIndex"/>), each kept token keeping its own.
    /// </summary>
    DecoderInput Input(LlamaForCausalLM decoder, Tensor features, int[] kept, IReadOnlyList<ITokenDropper> droppers)
    {
        var grid = Target.Grid;
        int n = grid.Tokens, k = kept.Length, tokens = 1 + k + _textAfter.Length;
        var embeds = Tensor.Cat([decoder.Embed(new IntTensor([1], 1, 1)), features, decoder.Embed(new IntTensor(_textAfter, 1, _textAfter.Length))], 1);
        var all = Qwen25RopeIndex.ForImage(1, grid.MergedRows, grid.MergedCols, _textAfter.Length);
        int[] order = [0, .. kept.Select(j => 1 + j), .. Enumerable.Range(1 + n, _textAfter.Length)];
        var positions = PositionPlanes.Keep(all, 1 + n + _textAfter.Length, [order]);
        return new DecoderInput(embeds, positions, Enumerable.Repeat(true, tokens).ToArray())
        {
            ImageSpans = [new ImageSpan(1, k)],
            Droppers = droppers,
            LastLogitsOnly = true,
        };
    }

    static string LayerKey(int tokens) => $"layer:{tokens}";

    /// <summary>Times one decoder layer on <paramref name="tokens"/> tokens at three-plane M-RoPE ids.</summary>
    string AddLayer(InterleavedTimer timer, int tokens)
    {
        if (_layerLengths.Add(tokens))
        {
            var x = Tensor.Randn(_gen, [1, tokens, Target.Text.HiddenSize]);
            var positions = Enumerable.Range(0, PositionPlanes.Multimodal).SelectMany(_ => Enumerable.Range(0, tokens)).ToArray();
            var valid = Enumerable.Repeat(true, tokens).ToArray();
            var layer = _decoder.Model.Layers[0];
            timer.Add(LayerKey(tokens), () => layer.Forward(x, positions, valid, null, 0));
        }
        return LayerKey(tokens);
    }

    /// <summary>The target's depth at a width of 12 (2 query heads, 1 KV head, M-RoPE [1, 1, 1]): where full-depth schedules are read.</summary>
    LlamaConfig NarrowText() => new()
    {
        VocabSize = Vocabulary,
        HiddenSize = NarrowWidth,
        IntermediateSize = NarrowWidth,
        NumLayers = Target.Text.NumLayers,
        NumHeads = 2,
        NumKvHeads = 1,
        AttentionBias = true,
        MropeSection = [1, 1, 1],
    };

    /// <summary>A 4-wide LLaVA of <paramref name="depth"/> layers: what a compared method reads its depth off (Qwen rows read nothing else).</summary>
    static LlavaModel DepthCarrier(int depth) => new(new LlavaConfig
    {
        Vision = new VisionConfig { ImageSize = 4, PatchSize = 2, HiddenSize = 4, IntermediateSize = 4, NumLayers = 1, NumHeads = 1 },
        Text = new LlamaConfig { VocabSize = 16, HiddenSize = 4, IntermediateSize = 4, NumLayers = depth, NumHeads = 1, NumKvHeads = 1 },
    }, new Generator(0));
}
