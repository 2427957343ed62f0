using System.Globalization;
using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Tensors;

namespace DiffPrune.Eval.Profiling;

/// <summary>
/// What <c>diffprune profile</c> does, as a library: the efficiency table (paper Table 4) of Vanilla, the selected
/// methods and DiffPrune at one budget, on a loaded VLM (<see cref="ForModel"/>) or at LLaVA-1.5-7B's width
/// (<see cref="AtLlavaWidth"/>). Rows are measured one at a time (<see cref="Measure"/>, for a progress display) or
/// all at once (<see cref="Run"/>). DiffPrune is the given pruner when one fits the width, else a freshly initialised
/// scorer labelled as untrained: its cost does not depend on training.
/// </summary>
public sealed class EfficiencyProfile
{
    /// <summary>The label of a DiffPrune row timed with a freshly initialised scorer.</summary>
    public const string UntrainedLabel = MethodSelection.DiffPruneName + " (untrained scorer)";

    readonly Func<ComparedMethod, MethodProfile> _measure;
    readonly Func<IReadOnlyDictionary<int, double>?> _layerMs;

    EfficiencyProfile(string title, IReadOnlyList<string> notes, int tokens, int keep, IReadOnlyList<ComparedMethod> methods,
        Func<ComparedMethod, MethodProfile> measure, Func<IReadOnlyDictionary<int, double>?> layerMs)
    {
        Title = title;
        Notes = notes;
        VisualTokens = tokens;
        Keep = keep;
        Methods = methods;
        _measure = measure;
        _layerMs = layerMs;
    }

    /// <summary>The setting's title.</summary>
    public string Title { get; }

    /// <summary>How its figures are obtained.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>N.</summary>
    public int VisualTokens { get; }

    /// <summary>K.</summary>
    public int Keep { get; }

    /// <summary>The rows to measure: Vanilla first, DiffPrune last.</summary>
    public IReadOnlyList<ComparedMethod> Methods { get; }

    /// <summary>Measures one of <see cref="Methods"/>.</summary>
    public MethodProfile Measure(ComparedMethod method) => _measure(method);

    /// <summary>The table of measured <paramref name="rows"/>.</summary>
    public ProfileTable Table(IReadOnlyList<MethodProfile> rows) => new(Title, Notes, VisualTokens, Keep, rows, _layerMs());

    /// <summary>Measures every row (calling <paramref name="onRow"/> after each) and returns the table.</summary>
    public ProfileTable Run(Action<MethodProfile>? onRow = null) =>
        Table(Methods.Select(m =>
        {
            var row = Measure(m);
            onRow?.Invoke(row);
            return row;
        }).ToArray());

    /// <summary>
    /// The profile of <paramref name="vlm"/> (named <paramref name="modelName"/> in the title) on the first SceneBench
    /// test scene and its first VQAv2 question, at K = <paramref name="fraction"/> of N; each part the median of
    /// <paramref name="runs"/> runs after <paramref name="warmup"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Pruners of another width than the model's, or a budget outside (0, 1].</exception>
    public static EfficiencyProfile ForModel(LlavaModel vlm, WordTokenizer tokenizer, string modelName, MethodSelection selection,
        double fraction, int runs = 30, int warmup = 5, ulong seed = 0)
    {
        selection.Pruners?.CheckFits(vlm.Config.Vision.HiddenSize, modelName);
        int n = vlm.Config.Vision.NumPatches, keep = BudgetFractions.Keep(fraction, n);
        var example = new SceneBench().Split(SceneSplit.Test, 1).First();
        var pixels = ImageTensors.Preprocess(example.Scene.Image, vlm.Config.Vision.ImageSize, ImageNormalization.Clip);
        var prompt = ScenePrompt.PromptIds(tokenizer, example.ItemsOf(SceneSuite.VqaV2).First().Prompt);
        var methods = Rows(selection, keep, vlm.Config.Vision.HiddenSize, seed);
        var notes = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"{modelName}: {vlm.ParameterCount:N0} parameters, ViT {vlm.Config.Vision.HiddenSize} wide, LLaMA {vlm.Config.Text.HiddenSize} wide × {vlm.Config.Text.NumLayers} layers; one SceneBench test image and question ({prompt.Length - 1} text tokens)."),
            $"Each part is the median of {runs} runs after {warmup} warm-up runs; TTFT = Enc. + Pruner + Prefill.",
            "Pruner: a pre-LLM method's function alone, or an in-LLM method's stage decisions timed on the contexts they meet; Prefill (projector and decoder) replays those decisions, so it pays for the drops but not for deciding them.",
        };
        AddUntrainedNote(notes, methods);
        var profiler = new ModelProfiler(vlm, pixels, prompt, runs, warmup);
        return new EfficiencyProfile($"Loaded VLM ({modelName})", notes, n, keep, methods, profiler.Measure, () => null);
    }

    /// <summary>The profile at LLaVA-1.5-7B's width (builds its models now, which takes a while; see <see cref="LlavaWidthProfiler"/>).</summary>
    /// <exception cref="ArgumentException">Invalid options or budget.</exception>
    public static EfficiencyProfile AtLlavaWidth(MethodSelection selection, double fraction, LlavaWidthOptions options)
    {
        var target = LlavaWidthProfiler.Target;
        int n = target.Vision.NumPatches, keep = BudgetFractions.Keep(fraction, n);
        var methods = Rows(selection, keep, target.Vision.HiddenSize, options.Seed);
        var profiler = new LlavaWidthProfiler(options);
        var notes = new List<string>
        {
            $"LLaVA-1.5-7B's shapes with random weights (timing only): CLIP ViT-L/14-336 (N = {n}, d_v = {target.Vision.HiddenSize}), projector, Vicuna-7B width (d = {target.Text.HiddenSize}); {options.TextTokens} text tokens (64 gives the paper's 8.89 T unpruned). FLOPs are those of the full model.",
            string.Create(CultureInfo.InvariantCulture, $"Enc. (extrapolated): {profiler.Model.Config.VisionLayersNeeded} of LLaVA's {target.VisionLayersNeeded} vision layers measured, × {profiler.VisionScale:0.##}."),
            $"Prefill (extrapolated): the projector measured, plus, over the {target.Text.NumLayers} decoder layers of each method's schedule, one Vicuna-7B-width layer measured at that layer's length (per-layer figures below).",
            $"Pruner (measured at true width): in-LLM stages decide in a {options.DecoderLayers}-layer Vicuna-7B-width LLM on the contexts they meet there.",
            $"Each part is the median of {options.Runs} runs after {options.Warmup} warm-up run(s): one layer takes seconds on this machine.",
        };
        AddUntrainedNote(notes, methods);
        return new EfficiencyProfile("LLaVA-1.5-7B width", notes, n, keep, methods, profiler.Measure, () => profiler.DecoderLayerMs);
    }

    /// <summary>Vanilla, the selected methods at K, and DiffPrune: the given pruner if it scores this width, else an untrained one.</summary>
    static IReadOnlyList<ComparedMethod> Rows(MethodSelection selection, int keep, int visionWidth, ulong seed)
    {
        var rows = new List<ComparedMethod> { MethodSelection.Vanilla };
        rows.AddRange(selection.At(keep, seed).Where(m => !IsDiffPrune(m) || selection.Pruners!.VisionWidth == visionWidth));
        if (selection.IncludesDiffPrune && !rows.Any(IsDiffPrune))
        {
            var scorer = new TokenScorer(visionWidth, new Generator(seed));
            var pruner = new TokenPruner(scorer, new TokenPrunerConfig(visionWidth, scorer.Heads, scorer.Blocks.Count, keep));
            rows.Add(new ComparedMethod(UntrainedLabel, _ => pruner));
        }
        return rows;
    }

    static bool IsDiffPrune(ComparedMethod m) => m.Label.StartsWith(MethodSelection.DiffPruneName, StringComparison.Ordinal);

    static void AddUntrainedNote(List<string> notes, IReadOnlyList<ComparedMethod> methods)
    {
        if (methods.Any(m => m.Label == UntrainedLabel))
            notes.Add($"{UntrainedLabel}: a freshly initialised scorer at this width, since no trained pruner for it was given; its cost does not depend on training.");
    }
}
