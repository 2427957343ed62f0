using System.Globalization;
using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Tensors;
using DiffPrune.Training.Pretraining;

namespace DiffPrune.Eval.Profiling;

/// <summary>
/// What <c>diffprune profile</c> does, as a library: the efficiency table (paper Table 4) of Vanilla, the selected
/// methods and DiffPrune (always) at one budget, on a loaded VLM (<see cref="ForModel"/>) or at the true width of LLaVA-1.5-7B
/// (<see cref="AtLlavaWidth"/>), LLaVA-NeXT-7B (<see cref="AtLlavaNextWidth"/>) or Qwen2.5-VL-7B (<see cref="AtQwen25Width"/>), a table each. It runs in steps (<see cref="Step"/>, for a progress display; or all at once with
/// <see cref="Run"/>): first each row is set up (the method built and run once, its decisions kept), then every timed
/// part of every row is called once per round, warm-up rounds first, so that load from elsewhere on a shared machine
/// falls on all rows alike; each figure is the median over the timed rounds. DiffPrune is the given pruner when one
/// fits the width, else a freshly initialised scorer labelled as untrained: its cost does not depend on training.
/// </summary>
public sealed class EfficiencyProfile
{
    /// <summary>The label of a DiffPrune row timed with a freshly initialised scorer.</summary>
    public const string UntrainedLabel = MethodSelection.DiffPruneName + " (untrained scorer)";

    readonly IRowProfiler _profiler;
    readonly InterleavedTimer _timer = new();
    readonly List<Func<Func<string, double>, MethodProfile>> _rows = [];
    readonly int _runs, _warmup;
    int _step;

    EfficiencyProfile(string title, IReadOnlyList<string> notes, int tokens, int keep, IReadOnlyList<ComparedMethod> methods,
        IRowProfiler profiler, int runs, int warmup)
    {
        if (runs < 1 || warmup < 0) throw new ArgumentException($"a profile needs at least 1 timed round and no negative warm-up (got {runs} and {warmup})");
        Title = title;
        Notes = notes;
        VisualTokens = tokens;
        Keep = keep;
        Methods = methods;
        _profiler = profiler;
        _runs = runs;
        _warmup = warmup;
    }

    /// <summary>The setting's title.</summary>
    public string Title { get; }

    /// <summary>How its figures are obtained.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>N.</summary>
    public int VisualTokens { get; }

    /// <summary>K.</summary>
    public int Keep { get; }

    /// <summary>The rows: Vanilla first, DiffPrune last.</summary>
    public IReadOnlyList<ComparedMethod> Methods { get; }

    /// <summary>Steps in all: one per row, then the warm-up and timed rounds.</summary>
    public int Steps => Methods.Count + _warmup + _runs;

    /// <summary>Steps done.</summary>
    public int StepsDone => _step;

    /// <summary>Whether every step is done.</summary>
    public bool Done => _step == Steps;

    /// <summary>Does the next step (sets up a row, or runs a round) and says what it did.</summary>
    /// <exception cref="InvalidOperationException">Every step is done.</exception>
    public string Step()
    {
        if (Done) throw new InvalidOperationException($"{Title}: the profile is complete");
        using var _ = Autograd.NoGrad();
        string done;
        if (_step < Methods.Count)
        {
            _rows.Add(_profiler.Prepare(_step, Methods[_step], _timer));
            done = $"set up {Methods[_step].Label}";
        }
        else
        {
            int round = _step - Methods.Count;
            _timer.Round(timed: round >= _warmup);
            done = round < _warmup ? $"warm-up round {round + 1} of {_warmup}" : $"timed round {round - _warmup + 1} of {_runs}";
        }
        _step++;
        return $"{Title}: {done}";
    }

    /// <summary>The table, once every step is done.</summary>
    /// <exception cref="InvalidOperationException">Steps remain.</exception>
    public ProfileTable Table()
    {
        if (!Done) throw new InvalidOperationException($"{Title}: {Steps - _step} profile steps remain");
        return new(Title, Notes, VisualTokens, Keep, _rows.Select(r => r(_timer.MedianMs)).ToArray(), _profiler.DecoderLayerMs(_timer.MedianMs));
    }

    /// <summary>Does every remaining step (calling <paramref name="onStep"/> after each) and returns the table.</summary>
    public ProfileTable Run(Action<string>? onStep = null)
    {
        while (!Done)
        {
            string done = Step();
            onStep?.Invoke(done);
        }
        return Table();
    }

    /// <summary>
    /// The profile of <paramref name="vlm"/> (named <paramref name="modelName"/> in the title) on the first SceneBench
    /// test scene and its first VQAv2 question, at K = <paramref name="fraction"/> of N; each figure the median of
    /// <paramref name="runs"/> rounds after <paramref name="warmup"/>; the scene is of <paramref name="bench"/>'s configuration.
    /// </summary>
    /// <exception cref="ArgumentException">Pruners of another width than the model's, a budget outside (0, 1], or bad run counts.</exception>
    public static EfficiencyProfile ForModel(LlavaModel vlm, WordTokenizer tokenizer, string modelName, MethodSelection selection,
        double fraction, int runs = 30, int warmup = 5, ulong seed = 0, SceneBenchConfiguration bench = SceneBenchConfiguration.Classic)
    {
        selection.Pruners?.CheckFits(vlm.Config.Vision.HiddenSize, modelName);
        var example = new SceneBench(SceneVlm.Scenes(bench, vlm.Config)).Split(SceneSplit.Test, 1).First();
        int keep = BudgetFractions.Keep(fraction, ((IVisionLanguageModel)vlm).TokenCount(example.Scene.Image));
        var question = example.ItemsOf(SceneSuite.VqaV2).First().Prompt;
        var runnable = selection.RunnableOn(vlm, out _, out var leftOutNote);
        return ForImage(vlm, tokenizer, $"Loaded VLM ({modelName})", $"{modelName}, one SceneBench test image ({bench.Name()} configuration) and question", example.Scene.Image, question,
            Rows(runnable, keep, vlm.Config.Vision.HiddenSize, seed), keep, runs, warmup,
            leftOutNote);
    }

    /// <summary>
    /// The profile of <paramref name="methods"/> (Vanilla first) at budget <paramref name="keep"/> on <paramref name="vlm"/>
    /// for one image (resized to the model's input) and question; <paramref name="input"/> names them in the notes.
    /// </summary>
    /// <exception cref="ArgumentException">Bad run counts.</exception>
    public static EfficiencyProfile ForImage(LlavaModel vlm, WordTokenizer tokenizer, string title, string input, RgbImage image, string question,
        IReadOnlyList<ComparedMethod> methods, int keep, int runs, int warmup, string? note = null)
    {
        // a tiled model takes the image as it is; a LLaVA-1.5 one at its input size
        var pixels = vlm.Config.IsAnyRes ? null : ImageTensors.Preprocess(image, vlm.Config.Vision.ImageSize, ImageNormalization.Clip);
        var prompt = ScenePrompt.PromptIds(tokenizer, question);
        var notes = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"{input} ({prompt.Length - 1} text tokens); {vlm.ParameterCount:N0} parameters: ViT {vlm.Config.Vision.HiddenSize} wide, LLaMA {vlm.Config.Text.HiddenSize} wide × {vlm.Config.Text.NumLayers} layers."),
            $"Each figure is the median of {runs} timed rounds after {warmup} warm-up rounds, every row's parts called once per round; TTFT = Enc. + Pruner + Prefill.",
            "Enc. is timed once per kind (with or without attention maps): the same work for every method of a kind. Pruner: a pre-LLM method's function alone, or an in-LLM method's stage decisions on the contexts they met; Prefill (projector and decoder) replays those decisions, so it pays for the drops but not for deciding them.",
        };
        AddUntrainedNote(notes, methods);
        if (note != null) notes.Add(note);
        return new EfficiencyProfile(title, notes, ((IVisionLanguageModel)vlm).TokenCount(image), keep, methods, new ModelProfiler(vlm, pixels, image, prompt), runs, warmup);
    }

    /// <summary>
    /// The profile at LLaVA-1.5-7B's width (<paramref name="target"/> replaces it, for tests; builds its models now, which
    /// takes a while; see <see cref="LlavaWidthProfiler"/>).
    /// </summary>
    /// <exception cref="ArgumentException">Invalid options, budget or target (one with image_grid_pinpoints).</exception>
    public static EfficiencyProfile AtLlavaWidth(MethodSelection selection, double fraction, LlavaWidthOptions options, LlavaConfig? target = null)
    {
        if (target?.IsAnyRes == true) throw new ArgumentException("the LLaVA-1.5-width profile takes a config without image_grid_pinpoints: use the LLaVA-NeXT-width profile");
        return AtLlavaTarget("LLaVA-1.5-7B width", selection, fraction, new LlavaWidthProfiler(options, target), options);
    }

    /// <summary>
    /// The profile at LLaVA-NeXT-7B's width: one 672 × 672 image cut into 4 AnyRes tiles and the base view, N = 2,880
    /// (<paramref name="target"/> and <paramref name="image"/> (height, width) replace them, for tests); builds its models now.
    /// </summary>
    /// <exception cref="ArgumentException">Invalid options, budget or target (one without image_grid_pinpoints).</exception>
    public static EfficiencyProfile AtLlavaNextWidth(MethodSelection selection, double fraction, LlavaWidthOptions options,
        LlavaConfig? target = null, (int Height, int Width)? image = null)
    {
        var config = target ?? LlavaConfig.LlavaNext7B();
        if (!config.IsAnyRes) throw new ArgumentException("the LLaVA-NeXT-width profile needs a config with image_grid_pinpoints (AnyRes)");
        return AtLlavaTarget("LLaVA-NeXT-7B width", selection, fraction, new LlavaWidthProfiler(options, config, image), options);
    }

    static EfficiencyProfile AtLlavaTarget(string title, MethodSelection selection, double fraction, LlavaWidthProfiler profiler, LlavaWidthOptions options)
    {
        var target = profiler.Target;
        int n = profiler.VisualTokens, keep = BudgetFractions.Keep(fraction, n);
        var all = Rows(selection, keep, target.Vision.HiddenSize, options.Seed);
        var methods = all.Where(profiler.Runs).ToArray();
        string shape = profiler.Layout is { } layout
            ? $"LLaVA-NeXT's shapes with random weights (timing only): one {layout.OriginalWidth} × {layout.OriginalHeight} image as {layout.Views} views of CLIP ViT-L/14-{target.Vision.ImageSize} ({layout.TileRows} × {layout.TileColumns} AnyRes tiles and the base view; N = {n}, d_v = {target.Vision.HiddenSize}, plus {layout.Unpadded.Rows} image_newline tokens in the LLM input), projector, decoder width d = {target.Text.HiddenSize}"
            : $"LLaVA-1.5-7B's shapes with random weights (timing only): CLIP ViT-L/14-{target.Vision.ImageSize} (N = {n}, d_v = {target.Vision.HiddenSize}), projector, Vicuna-7B width (d = {target.Text.HiddenSize})";
        var notes = new List<string>
        {
            $"{shape}; {options.TextTokens} text tokens{(profiler.Layout == null ? " (64 gives the paper's 8.89 T unpruned)" : "")}. FLOPs are those of the full model{(profiler.Views > 1 ? $", its tower counted once per view ({profiler.Views})" : "")}.",
            string.Create(CultureInfo.InvariantCulture, $"Enc. (extrapolated): {profiler.Model.Config.VisionLayersNeeded} of the {target.VisionLayersNeeded} vision layers the model computes measured{(profiler.Views > 1 ? $", on all {profiler.Views} views with the tiling," : "")} × {profiler.VisionScale:0.##}."),
            $"Prefill (extrapolated): the projector measured, plus, over the {target.Text.NumLayers} decoder layers of each method's schedule (from the method built for {target.Text.NumLayers} layers), one decoder layer of width {target.Text.HiddenSize} measured at that layer's length (per-layer figures below).",
            $"Pruner (measured at true width): in-LLM stages decide in a {options.DecoderLayers}-layer decoder of that width on the contexts they meet there.",
            $"Each figure is the median of {options.Runs} timed rounds after {options.Warmup} warm-up round(s), every part called once per round: one layer takes seconds on this machine.",
        };
        var skipped = all.Except(methods).Select(m => m.Label).ToArray();
        if (skipped.Length > 0)
            notes.Add($"Not run: {string.Join(", ", skipped)}, which read the vision tower's attention maps: a tiled image has one map per view and none for its token sequence (eval refuses them on LLaVA-NeXT too).");
        AddUntrainedNote(notes, methods);
        return new EfficiencyProfile(title, notes, n, keep, methods, profiler, options.Runs, options.Warmup);
    }

    /// <summary>
    /// The profile at Qwen2.5-VL-7B's width: one 812 × 1,064 image (58 × 76 patches, N = 1,102 merged tokens of width 3,584),
    /// K = round(<paramref name="fraction"/> · N) (<paramref name="target"/> replaces it, for tests); builds its models now.
    /// </summary>
    /// <exception cref="ArgumentException">Invalid options, budget or target.</exception>
    public static EfficiencyProfile AtQwen25Width(MethodSelection selection, double fraction, LlavaWidthOptions options, Qwen25WidthTarget? target = null)
    {
        var profiler = new Qwen25WidthProfiler(options, target);
        var t = profiler.Target;
        var grid = t.Grid;
        int n = t.VisualTokens, keep = BudgetFractions.Keep(fraction, n), width = t.Vision.OutHiddenSize;
        var baselines = selection.At(keep, options.Seed).Where(m => !IsDiffPrune(m)).ToArray();
        var unsupported = baselines.Where(m => !Qwen25Methods.Supports(m.Label)).Select(m => m.Label).ToArray();
        var rows = new List<ComparedMethod> { Qwen25Methods.Vanilla(t) };
        rows.AddRange(baselines.Where(m => Qwen25Methods.Supports(m.Label)).Select(m => Qwen25Methods.At(m.Label, t, keep, options.Seed)));
        var methods = WithDiffPrune(selection, rows, keep, width, options.Seed);
        var notes = new List<string>
        {
            $"Qwen2.5-VL's shapes with random weights (timing only): one {grid.Cols * t.Vision.PatchSize} × {grid.Rows * t.Vision.PatchSize} image, {grid.Rows} × {grid.Cols} patches of {t.Vision.PatchSize} px through the {t.Vision.Depth}-block tower (width {t.Vision.HiddenSize}, {t.Vision.WindowSize} px windows, full attention in blocks {string.Join(", ", t.Vision.FullAttentionBlocks)}), merged 2 × 2 into N = {n} tokens of width {width}; a Qwen2-shaped LLM ({t.Text.NumLayers} layers, d = {t.Text.HiddenSize}, {t.Text.NumHeads} query / {t.Text.NumKvHeads} KV heads, d_ff = {t.Text.IntermediateSize}, q/k/v biases, M-RoPE); {options.TextTokens} text tokens. K = round(rate · N). FLOPs are those of the full model, window attention counted per window as HF computes it.",
            string.Create(CultureInfo.InvariantCulture, $"Enc. (extrapolated): patch embedding, {profiler.BuiltBlocks} blocks ({profiler.BuiltBlocks - 1} windowed, 1 full) and the merger measured, × {profiler.VisionScale:0.##}; our windowed blocks compute all N² scores under a block-diagonal mask, so they cost what a full block costs (HF's per-window attention is cheaper)."),
            $"Prefill (extrapolated): no projector (the merger maps into the LLM); over the {t.Text.NumLayers} decoder layers of each method's schedule (from the method built for {t.Text.NumLayers} layers), one Qwen2-7B-width layer measured at that layer's length (per-layer figures below).",
            $"Pruner (measured at true width): pre-LLM methods on the merged tokens; in-LLM stages decide in a {options.DecoderLayers}-layer Qwen2-7B-width decoder on the contexts they meet there. DiffPrune's scorer works at the tokens' width ({width}; it has no input projection), where the paper's is 1,024 wide: its decision costs about ({width}/1024)² times the paper's.",
            $"Each figure is the median of {options.Runs} timed rounds after {options.Warmup} warm-up round(s), every part called once per round.",
        };
        if (unsupported.Length > 0)
            notes.Add($"Not run: {string.Join(", ", unsupported)}, which read a CLIP tower's CLS attention: Qwen2.5-VL's tower has no CLS token and its windowed blocks give no image-wide map.");
        AddUntrainedNote(notes, methods);
        return new EfficiencyProfile("Qwen2.5-VL-7B width", notes, n, keep, methods, profiler, options.Runs, options.Warmup);
    }

    /// <summary>Vanilla, the selected methods at K, and DiffPrune: the given pruner if it scores this width, else an untrained one.</summary>
    static IReadOnlyList<ComparedMethod> Rows(MethodSelection selection, int keep, int visionWidth, ulong seed) =>
        WithDiffPrune(selection, [MethodSelection.Vanilla, .. selection.At(keep, seed).Where(m => !IsDiffPrune(m))], keep, visionWidth, seed);

    /// <summary><paramref name="rows"/>, then the given DiffPrune rows if their pruners score <paramref name="visionWidth"/>, else an untrained one.</summary>
    static IReadOnlyList<ComparedMethod> WithDiffPrune(MethodSelection selection, IReadOnlyList<ComparedMethod> rows, int keep, int visionWidth, ulong seed)
    {
        var all = rows.ToList();
        if (selection.Pruners?.VisionWidth == visionWidth) all.AddRange(selection.At(keep, seed).Where(IsDiffPrune));
        if (!all.Any(IsDiffPrune))
        {
            var scorer = new TokenScorer(visionWidth, new Generator(seed));
            var pruner = new TokenPruner(scorer, new TokenPrunerConfig(visionWidth, scorer.Heads, scorer.Blocks.Count, keep));
            all.Add(new ComparedMethod(UntrainedLabel, _ => pruner));
        }
        return all;
    }

    static bool IsDiffPrune(ComparedMethod m) => m.Label.StartsWith(MethodSelection.DiffPruneName, StringComparison.Ordinal);

    static void AddUntrainedNote(List<string> notes, IReadOnlyList<ComparedMethod> methods)
    {
        if (methods.Any(m => m.Label == UntrainedLabel))
            notes.Add($"{UntrainedLabel}: a freshly initialised scorer at this width, since no trained pruner for it was given; its cost does not depend on training.");
    }
}
