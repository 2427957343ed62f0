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
/// methods and DiffPrune (always) at one budget, on a loaded VLM (<see cref="ForModel"/>) or at LLaVA-1.5-7B's width
/// (<see cref="AtLlavaWidth"/>). It runs in steps (<see cref="Step"/>, for a progress display; or all at once with
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
        int keep = BudgetFractions.Keep(fraction, vlm.Config.Vision.NumPatches);
        var example = new SceneBench(bench == SceneBenchConfiguration.Classic ? SceneOptions.Default : SceneOptions.Dense).Split(SceneSplit.Test, 1).First();
        var question = example.ItemsOf(SceneSuite.VqaV2).First().Prompt;
        return ForImage(vlm, tokenizer, $"Loaded VLM ({modelName})", $"{modelName}, one SceneBench test image ({bench.Name()} configuration) and question", example.Scene.Image, question,
            Rows(selection, keep, vlm.Config.Vision.HiddenSize, seed), keep, runs, warmup);
    }

    /// <summary>
    /// The profile of <paramref name="methods"/> (Vanilla first) at budget <paramref name="keep"/> on <paramref name="vlm"/>
    /// for one image (resized to the model's input) and question; <paramref name="input"/> names them in the notes.
    /// </summary>
    /// <exception cref="ArgumentException">Bad run counts.</exception>
    public static EfficiencyProfile ForImage(LlavaModel vlm, WordTokenizer tokenizer, string title, string input, RgbImage image, string question,
        IReadOnlyList<ComparedMethod> methods, int keep, int runs, int warmup)
    {
        var pixels = ImageTensors.Preprocess(image, vlm.Config.Vision.ImageSize, ImageNormalization.Clip);
        var prompt = ScenePrompt.PromptIds(tokenizer, question);
        var notes = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"{input} ({prompt.Length - 1} text tokens); {vlm.ParameterCount:N0} parameters: ViT {vlm.Config.Vision.HiddenSize} wide, LLaMA {vlm.Config.Text.HiddenSize} wide × {vlm.Config.Text.NumLayers} layers."),
            $"Each figure is the median of {runs} timed rounds after {warmup} warm-up rounds, every row's parts called once per round; TTFT = Enc. + Pruner + Prefill.",
            "Enc. is timed once per kind (with or without attention maps): the same work for every method of a kind. Pruner: a pre-LLM method's function alone, or an in-LLM method's stage decisions on the contexts they met; Prefill (projector and decoder) replays those decisions, so it pays for the drops but not for deciding them.",
        };
        AddUntrainedNote(notes, methods);
        return new EfficiencyProfile(title, notes, vlm.Config.Vision.NumPatches, keep, methods, new ModelProfiler(vlm, pixels, prompt), runs, warmup);
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
            $"Prefill (extrapolated): the projector measured, plus, over the {target.Text.NumLayers} decoder layers of each method's schedule (from the method built for {target.Text.NumLayers} layers), one Vicuna-7B-width layer measured at that layer's length (per-layer figures below).",
            $"Pruner (measured at true width): in-LLM stages decide in a {options.DecoderLayers}-layer Vicuna-7B-width LLM on the contexts they meet there.",
            $"Each figure is the median of {options.Runs} timed rounds after {options.Warmup} warm-up round(s), every part called once per round: one layer takes seconds on this machine.",
        };
        AddUntrainedNote(notes, methods);
        return new EfficiencyProfile("LLaVA-1.5-7B width", notes, n, keep, methods, profiler, options.Runs, options.Warmup);
    }

    /// <summary>Vanilla, the selected methods at K, and DiffPrune: the given pruner if it scores this width, else an untrained one.</summary>
    static IReadOnlyList<ComparedMethod> Rows(MethodSelection selection, int keep, int visionWidth, ulong seed)
    {
        var rows = new List<ComparedMethod> { MethodSelection.Vanilla };
        rows.AddRange(selection.At(keep, seed).Where(m => !IsDiffPrune(m) || selection.Pruners!.VisionWidth == visionWidth));
        if (!rows.Any(IsDiffPrune))
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
