using DiffPrune.Data.Images;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Tensors;

namespace DiffPrune.Eval.Profiling;

/// <summary>
/// Paper Table 4 at a LLaVA's true width (LLaVA-1.5-7B, or LLaVA-NeXT-7B with its AnyRes tiles) on a machine that cannot
/// hold its 7 B float32 weights: random weights, the target's N visual tokens of the tower's width, a decoder of the
/// target's width with <see cref="LlavaWidthOptions.DecoderLayers"/> layers. Measured at true width: vision layers
/// (scaled to the target's layers; for LLaVA-NeXT every view of the image, tiling included), every decision (in-LLM
/// stages on the contexts they meet in the shallow LLM), the projector, and one decoder layer at each sequence length
/// that occurs. Extrapolated: the full-depth prefill, the sum over the layers of each method's schedule of the measured
/// layer time at that layer's length. The schedule (which layers see how many tokens) comes from the same method built
/// for the full depth on a narrow stand-in of the same N (<see cref="TokenSchedule.Observe(VlmInference, IPruningMethod, VisualTokens, int[])"/>).
/// </summary>
internal sealed class LlavaWidthProfiler : IRowProfiler
{
    const int ImageToken = 3, Vocabulary = 256, NarrowWidth = 8;

    readonly LlavaModel _narrow;
    readonly VlmInference _inference, _narrowInference;
    readonly Tensor _pixels;
    readonly RgbImage? _image;
    readonly int[] _prompt;
    readonly Generator _gen;
    readonly Dictionary<bool, VisualTokens> _encoded = [];
    readonly HashSet<int> _layerLengths = [];

    /// <summary>
    /// Builds the models of <paramref name="target"/> (default LLaVA-1.5-7B; random weights from <see cref="LlavaWidthOptions.Seed"/>;
    /// this takes a while at true width). A LLaVA-NeXT target encodes one random image of <paramref name="image"/> (height, width)
    /// pixels, default 672 × 672 (4 tiles and the base view).
    /// </summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public LlavaWidthProfiler(LlavaWidthOptions options, LlavaConfig? target = null, (int Height, int Width)? image = null)
    {
        options.Validate();
        Target = (target ?? LlavaConfig.Llava15_7B()).Validate();
        _gen = new Generator(options.Seed);
        Model = new LlavaModel(TimingConfig(options), _gen);
        _inference = new VlmInference(Model);
        _narrow = new LlavaModel(NarrowConfig(), _gen);
        _narrowInference = new VlmInference(_narrow);
        _pixels = Tensor.Randn(_gen, [1, Target.Vision.NumChannels, Target.Vision.ImageSize, Target.Vision.ImageSize]);
        if (Target.IsAnyRes)
        {
            var (h, w) = image ?? NextImage;
            _image = RandomImage(h, w);
            Layout = AnyResLayout.For(h, w, Target);
        }
        _prompt = [1, ImageToken, .. Enumerable.Range(0, options.TextTokens - 1).Select(_ => 4 + _gen.NextInt(Vocabulary - 4))];
    }

    /// <summary>LLaVA-NeXT's image: 672 × 672, the 2 × 2 pinpoint, so N = 5 × 576 = 2,880 (paper Table 2).</summary>
    public static (int Height, int Width) NextImage { get; } = (672, 672);

    /// <summary>The model the figures stand for (FLOPs are counted on it).</summary>
    public LlavaConfig Target { get; }

    /// <summary>The tiling of the LLaVA-NeXT image; null for LLaVA-1.5.</summary>
    public AnyResLayout? Layout { get; }

    /// <summary>N: visual tokens of the profiled image.</summary>
    public int VisualTokens => Layout?.VisualTokens ?? Target.Vision.NumPatches;

    /// <summary>Views the tower encodes per image (LLaVA-NeXT: base view and tiles).</summary>
    public int Views => Layout?.Views ?? 1;

    /// <summary>The model that is timed: the target's widths, fewer layers, an embedding table and LM head shrunk to 256 entries (neither is timed).</summary>
    public LlavaModel Model { get; }

    /// <summary>Encoding time measured on the built vision layers is multiplied by this (the target's layers / layers computed).</summary>
    public double VisionScale => (double)Target.VisionLayersNeeded / Model.Config.VisionLayersNeeded;

    /// <summary>
    /// Whether <paramref name="compared"/> runs here: a method that reads the vision tower's attention maps does not on
    /// LLaVA-NeXT, whose image has one map per view and none for its token sequence (<see cref="VlmInference"/> refuses it).
    /// </summary>
    public bool Runs(ComparedMethod compared) => !Target.IsAnyRes || !compared.Build(_narrow).NeedsVisionAttentions;

    /// <inheritdoc/>
    public Func<Func<string, double>, MethodProfile> Prepare(int index, ComparedMethod compared, InterleavedTimer timer)
    {
        var method = compared.Build(Model);
        var parts = new RowParts(timer, index);
        bool attentions = method.NeedsVisionAttentions;
        string encode = parts.Encoding(attentions, () => Encode(_inference, attentions));
        var tokens = parts.PreLlm(method, Encoded(attentions));
        var stages = DecideInShallowLlm(method, tokens);
        parts.Stages(stages);
        var deep = stages.Length == 0 ? method : compared.Build(_narrow);
        int newlines = tokens.Spans?[0].Newlines.Length ?? 0;
        var schedule = stages.Length == 0
            ? TokenSchedule.Constant(tokens.Count, _prompt.Length - 1 + tokens.Count + newlines, Target.Text.NumLayers)
            : TokenSchedule.Observe(_narrowInference, deep, Encode(_narrowInference, false), _prompt);
        string projector = AddProjector(timer, schedule.ProjectedTokens);
        var layers = schedule.LayerTokens.Select(t => AddLayer(timer, t)).ToArray();
        var flops = FlopCount.Of(Target, schedule, Views);
        string? note = StageNote(method, deep);
        return median => MethodProfile.Of(compared.Label, deep, flops, schedule, median(encode) * VisionScale, parts.DecisionMs(median),
            median(projector) + layers.Sum(median), note);
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<int, double>? DecoderLayerMs(Func<string, double> median) =>
        _layerLengths.Order().ToDictionary(t => t, t => median(LayerKey(t)));

    /// <summary>The image through <paramref name="inference"/>'s tower: LLaVA-1.5's pixels, or LLaVA-NeXT's image tiled and encoded view by view.</summary>
    VisualTokens Encode(VlmInference inference, bool attentions) => _image == null
        ? inference.Encode(_pixels, attentions)
        : AnyResEncoder.Encode(inference.AsLlava("AnyRes profiling"), _image, ImageNormalization.Clip);

    VisualTokens Encoded(bool attentions)
    {
        if (!_encoded.TryGetValue(attentions, out var tokens)) _encoded[attentions] = tokens = Encode(_inference, attentions);
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

    RgbImage RandomImage(int height, int width)
    {
        var rgb = new byte[checked(height * width * 3)];
        for (int i = 0; i < rgb.Length; i++) rgb[i] = (byte)_gen.NextInt(256);
        return new RgbImage(width, height, rgb);
    }

    LlavaConfig TimingConfig(LlavaWidthOptions options) => Target with
    {
        Vision = Target.Vision with { NumLayers = options.VisionLayers },
        Text = Target.Text with { NumLayers = options.DecoderLayers, VocabSize = Vocabulary },
        ImageTokenId = ImageToken,
    };

    /// <summary>The target's N (tiling included) and depth at a width of 8: where a method's full-depth schedule is read off its decisions.</summary>
    LlavaConfig NarrowConfig() => new()
    {
        Vision = new VisionConfig { ImageSize = Target.Vision.ImageSize, PatchSize = Target.Vision.PatchSize, HiddenSize = NarrowWidth, IntermediateSize = NarrowWidth, NumLayers = 2, NumHeads = 2 },
        Text = new LlamaConfig { VocabSize = Vocabulary, HiddenSize = NarrowWidth, IntermediateSize = NarrowWidth, NumLayers = Target.Text.NumLayers, NumHeads = 2, NumKvHeads = 2 },
        ImageTokenId = ImageToken,
        ImageGridPinpoints = Target.ImageGridPinpoints,
    };
}
