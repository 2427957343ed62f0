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
public sealed class LlavaWidthProfiler
{
    const int ImageToken = 3, Vocabulary = 256, NarrowWidth = 8;

    readonly LlavaWidthOptions _options;
    readonly LlavaModel _narrow;
    readonly Tensor _pixels;
    readonly int[] _prompt;
    readonly Generator _gen;
    readonly Dictionary<bool, (double Ms, VisualTokens Tokens)> _encoded = [];
    readonly Dictionary<int, double> _layerMs = [], _projectorMs = [];

    /// <summary>Builds the models (random weights from <see cref="LlavaWidthOptions.Seed"/>; this takes a while at true width).</summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public LlavaWidthProfiler(LlavaWidthOptions options)
    {
        _options = options.Validate();
        _gen = new Generator(options.Seed);
        Model = new LlavaModel(TimingConfig(options), _gen);
        _narrow = new LlavaModel(NarrowConfig(), _gen);
        _pixels = Tensor.Randn(_gen, [1, Target.Vision.NumChannels, Target.Vision.ImageSize, Target.Vision.ImageSize]);
        _prompt = [1, ImageToken, .. Enumerable.Range(0, options.TextTokens - 1).Select(_ => 4 + _gen.NextInt(Vocabulary - 4))];
    }

    /// <summary>The model the figures stand for: LLaVA-1.5-7B (FLOPs are counted on it).</summary>
    public static LlavaConfig Target { get; } = LlavaConfig.Llava15_7B();

    /// <summary>The model that is timed: LLaVA-1.5-7B's widths, fewer layers, an embedding table and LM head shrunk to 256 entries (neither is timed).</summary>
    public LlavaModel Model { get; }

    /// <summary>The options.</summary>
    public LlavaWidthOptions Options => _options;

    /// <summary>Encoding time measured on the built vision layers is multiplied by this (23 / layers computed).</summary>
    public double VisionScale => (double)Target.VisionLayersNeeded / Model.Config.VisionLayersNeeded;

    /// <summary>Median milliseconds of one Vicuna-7B-width decoder layer, per sequence length measured so far.</summary>
    public IReadOnlyDictionary<int, double> DecoderLayerMs => _layerMs;

    /// <summary>The row of <paramref name="compared"/>: built on the timed model for its decision, and for 32 layers for its schedule.</summary>
    public MethodProfile Measure(ComparedMethod compared)
    {
        var method = compared.Build(Model);
        using var _ = Autograd.NoGrad();
        var (encodeMs, tokens) = Encoded(method.NeedsVisionAttentions);
        double prunerMs = 0;
        if (method.PreLlm is { } preLlm)
        {
            var all = tokens;
            prunerMs = Timing.MedianMilliseconds(() => preLlm(all), _options.Runs, _options.Warmup);
            tokens = preLlm(all);
        }
        var deep = method.Droppers.Count == 0 ? method : compared.Build(_narrow);
        var schedule = method.Droppers.Count == 0
            ? TokenSchedule.Constant(tokens.Count, _prompt.Length - 1 + tokens.Count, Target.Text.NumLayers)
            : TokenSchedule.Observe(_narrow, deep, _pixels, _prompt);
        prunerMs += method.Droppers.Count == 0 ? 0 : DecideInShallowLlm(method, tokens);
        double prefillMs = ProjectorMs(schedule.ProjectedTokens) + schedule.LayerTokens.Sum(LayerMs);
        return MethodProfile.Of(compared.Label, deep, FlopCount.Of(Target, schedule), schedule, encodeMs, prunerMs, prefillMs, StageNote(method, deep));
    }

    (double Ms, VisualTokens Tokens) Encoded(bool attentions)
    {
        if (!_encoded.TryGetValue(attentions, out var encoded))
        {
            double ms = Timing.MedianMilliseconds(() => Model.EncodeImages(_pixels, attentions), _options.Runs, _options.Warmup);
            _encoded[attentions] = encoded = (ms * VisionScale, Model.EncodeImages(_pixels, attentions));
        }
        return encoded;
    }

    /// <summary>Runs the shallow LLM once on all N visual tokens with each stage's decision timed on the context it meets.</summary>
    double DecideInShallowLlm(IPruningMethod method, VisualTokens tokens)
    {
        var stages = method.Droppers.OrderBy(d => d.Layer).Select(d => new MeasuredDropper(d, _options.Runs, _options.Warmup)).ToArray();
        var input = Model.BuildInput(Model.Projector.Forward(tokens.Features), tokens.PatchIndex, [_prompt]);
        Model.LanguageModel.Forward(input with { Droppers = stages, LastLogitsOnly = true });
        return stages.Sum(s => s.MedianMs);
    }

    string? StageNote(IPruningMethod timed, IPruningMethod deep) => timed.Droppers.Count == deep.Droppers.Count ? null
        : $"decision timed in the {Model.Config.Text.NumLayers}-layer LLM, where its {deep.Droppers.Count} stages merge into {timed.Droppers.Count}";

    double ProjectorMs(int tokens) => Cached(_projectorMs, tokens, () =>
    {
        var features = Tensor.Randn(_gen, [1, tokens, Target.Vision.HiddenSize]);
        return Timing.MedianMilliseconds(() => Model.Projector.Forward(features), _options.Runs, _options.Warmup);
    });

    double LayerMs(int tokens) => Cached(_layerMs, tokens, () =>
    {
        var x = Tensor.Randn(_gen, [1, tokens, Target.Text.HiddenSize]);
        var positions = Enumerable.Range(0, tokens).ToArray();
        var valid = Enumerable.Repeat(true, tokens).ToArray();
        var layer = Model.LanguageModel.Model.Layers[0];
        return Timing.MedianMilliseconds(() => layer.Forward(x, positions, valid, null, 0), _options.Runs, _options.Warmup);
    });

    static double Cached(Dictionary<int, double> cache, int key, Func<double> measure)
    {
        if (!cache.TryGetValue(key, out double value)) cache[key] = value = measure();
        return value;
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
