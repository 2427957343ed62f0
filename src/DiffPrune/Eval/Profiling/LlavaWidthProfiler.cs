using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Tensors;

namespace DiffPrune.Eval.Profiling;

/// <summary>
/// Paper Table 4 at LLaVA-1.5-7B's width on a machine that cannot hold its 7 B float32 weights: random weights, N = 576
/// visual tokens of width 1,024, a Vicuna-7B-width LLM (d = 4,096) of <see cref="LlavaWidthOptions.DecoderLayers"/>
/// layers. Measured at true width: vision layers (scaled to LLaVA's 23), every decision (in-LLM stages on the contexts
/// they meet in the shallow LLM), the projector, and one decoder layer at each sequence length that occurs.
/// Extrapolated: the 32-layer prefill, the sum over the layers of each method's 32-layer schedule of the measured
/// layer time at that layer's length. The schedule (which layers see how many tokens) comes from the same method built
/// for 32 layers on a narrow stand-in of the same N (<see cref="TokenSchedule.Observe"/>).
/// </summary>
internal sealed class LlavaWidthProfiler : IRowProfiler
{
    const int ImageToken = 3, Vocabulary = 256, NarrowWidth = 8;

    readonly LlavaModel _narrow;
    readonly VlmInference _inference;
    readonly Tensor _pixels;
    readonly int[] _prompt;
    readonly Generator _gen;
    readonly Dictionary<bool, VisualTokens> _encoded = [];
    readonly HashSet<int> _layerLengths = [];

    /// <summary>Builds the models (random weights from <see cref="LlavaWidthOptions.Seed"/>; this takes a while at true width).</summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public LlavaWidthProfiler(LlavaWidthOptions options)
    {
        options.Validate();
        _gen = new Generator(options.Seed);
        Model = new LlavaModel(TimingConfig(options), _gen);
        _inference = new VlmInference(Model);
        _narrow = new LlavaModel(NarrowConfig(), _gen);
        _pixels = Tensor.Randn(_gen, [1, Target.Vision.NumChannels, Target.Vision.ImageSize, Target.Vision.ImageSize]);
        _prompt = [1, ImageToken, .. Enumerable.Range(0, options.TextTokens - 1).Select(_ => 4 + _gen.NextInt(Vocabulary - 4))];
    }

    /// <summary>The model the figures stand for: LLaVA-1.5-7B (FLOPs are counted on it).</summary>
    public static LlavaConfig Target { get; } = LlavaConfig.Llava15_7B();

    /// <summary>The model that is timed: LLaVA-1.5-7B's widths, fewer layers, an embedding table and LM head shrunk to 256 entries (neither is timed).</summary>
    public LlavaModel Model { get; }

    /// <summary>Encoding time measured on the built vision layers is multiplied by this (23 / layers computed).</summary>
    public double VisionScale => (double)Target.VisionLayersNeeded / Model.Config.VisionLayersNeeded;

    /// <inheritdoc/>
    public Func<Func<string, double>, MethodProfile> Prepare(int index, ComparedMethod compared, InterleavedTimer timer)
    {
        var method = compared.Build(Model);
        var parts = new RowParts(timer, index);
        string encode = parts.Encoding(_inference, _pixels, method.NeedsVisionAttentions);
        var tokens = parts.PreLlm(method, Encoded(method.NeedsVisionAttentions));
        var stages = DecideInShallowLlm(method, tokens);
        parts.Stages(stages);
        var deep = stages.Length == 0 ? method : compared.Build(_narrow);
        var schedule = stages.Length == 0
            ? TokenSchedule.Constant(tokens.Count, _prompt.Length - 1 + tokens.Count, Target.Text.NumLayers)
            : TokenSchedule.Observe(_narrow, deep, _pixels, _prompt);
        string projector = AddProjector(timer, schedule.ProjectedTokens);
        var layers = schedule.LayerTokens.Select(t => AddLayer(timer, t)).ToArray();
        var flops = FlopCount.Of(Target, schedule);
        string? note = StageNote(method, deep);
        return median => MethodProfile.Of(compared.Label, deep, flops, schedule, median(encode) * VisionScale, parts.DecisionMs(median),
            median(projector) + layers.Sum(median), note);
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<int, double>? DecoderLayerMs(Func<string, double> median) =>
        _layerLengths.Order().ToDictionary(t => t, t => median(LayerKey(t)));

    VisualTokens Encoded(bool attentions)
    {
        if (!_encoded.TryGetValue(attentions, out var tokens)) _encoded[attentions] = tokens = _inference.Encode(_pixels, attentions);
        return tokens;
    }

    /// <summary>Runs the shallow LLM once on all N visual tokens, each in-LLM stage deciding on the context it meets there.</summary>
    CapturedDropper[] DecideInShallowLlm(IPruningMethod method, VisualTokens tokens)
    {
        var stages = CapturedDropper.Stages(method);
        if (stages.Length == 0) return stages;
        _inference.Prefill(_inference.Assemble(tokens, [_prompt], stages));
        return stages;
    }

    string? StageNote(IPruningMethod timed, IPruningMethod deep) => timed.Droppers.Count == deep.Droppers.Count ? null
        : $"decision timed in the {Model.Config.Text.NumLayers}-layer LLM, where its {deep.Droppers.Count} stages merge into {timed.Droppers.Count}";

    string AddProjector(InterleavedTimer timer, int tokens)
    {
        string key = $"projector:{tokens}";
        var features = Tensor.Randn(_gen, [1, tokens, Target.Vision.HiddenSize]);
        timer.Add(key, () => Model.Projector.Forward(features));
        return key;
    }

    static string LayerKey(int tokens) => $"layer:{tokens}";

    string AddLayer(InterleavedTimer timer, int tokens)
    {
        if (_layerLengths.Add(tokens))
        {
            var x = Tensor.Randn(_gen, [1, tokens, Target.Text.HiddenSize]);
            var positions = Enumerable.Range(0, tokens).ToArray();
            var valid = Enumerable.Repeat(true, tokens).ToArray();
            var layer = Model.LanguageModel.Model.Layers[0];
            timer.Add(LayerKey(tokens), () => layer.Forward(x, positions, valid, null, 0));
        }
        return LayerKey(tokens);
    }

    static LlavaConfig TimingConfig(LlavaWidthOptions options) => Target with
    {
        Vision = Target.Vision with { NumLayers = options.VisionLayers },
        Text = Target.Text with { NumLayers = options.DecoderLayers, VocabSize = Vocabulary },
        ImageTokenId = ImageToken,
    };

    /// <summary>LLaVA-1.5's N and depth at a width of 8: where a method's 32-layer schedule is read off its decisions.</summary>
    static LlavaConfig NarrowConfig() => new()
    {
        Vision = new VisionConfig { ImageSize = Target.Vision.ImageSize, PatchSize = Target.Vision.PatchSize, HiddenSize = NarrowWidth, IntermediateSize = NarrowWidth, NumLayers = 2, NumHeads = 2 },
        Text = new LlamaConfig { VocabSize = Vocabulary, HiddenSize = NarrowWidth, IntermediateSize = NarrowWidth, NumLayers = Target.Text.NumLayers, NumHeads = 2, NumKvHeads = 2 },
        ImageTokenId = ImageToken,
    };
}
