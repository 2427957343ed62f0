using System.Diagnostics;
using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Eval.Profiling;
using DiffPrune.Eval.Statistics;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Tensors.Distributed;
using DiffPrune.Training.Pretraining;

namespace DiffPrune.Eval;

/// <summary>
/// What <c>diffprune eval</c> does, as a library: methods × budgets × suites on a loaded VLM, giving paper Table 1
/// (<see cref="EvaluationTable"/>). <see cref="Plan"/> lists the rows (Vanilla first, then each budget's methods), and
/// each is evaluated on its own (<see cref="Evaluate"/>, for a progress display) or all at once (<see cref="Run"/>). On a
/// model whose images give their own N (Qwen2.5-VL at native resolution; <see cref="IVisionLanguageModel.BudgetTokens"/>)
/// a budget is a rate, each image keeping K_i = round(fraction × N_i) (<see cref="MethodSelection.AtRate"/>); the table's
/// N and K are then those of the test images' mean N, and each row's kept tokens say what the images kept.
/// </summary>
public sealed class TableEvaluation
{
    readonly IVisionLanguageModel _vlm;
    readonly int _tokens;
    readonly IReadOnlyList<SceneExample> _examples;
    readonly SceneBenchEvaluator _evaluator;
    readonly string _model;
    readonly ulong _seed;
    readonly Communicator _world;
    readonly VlmInference _inference;
    readonly Lazy<(RgbImage Image, int[] Prompt)> _costProbe;

    /// <summary>One planned row: a method at a budget (<see cref="Fraction"/> null for the upper bound).</summary>
    /// <param name="Fraction">K / N, or null for Vanilla.</param>
    /// <param name="Keep">K.</param>
    /// <param name="Method">The method.</param>
    public sealed record PlannedRow(double? Fraction, int Keep, ComparedMethod Method);

    /// <summary>
    /// Evaluation of <paramref name="selection"/> at each of <paramref name="fractions"/> (kept shares of N) on
    /// <paramref name="examples"/>, with Vanilla as the upper bound; <paramref name="seed"/> seeds Random. Every row
    /// reads the features <paramref name="inference"/> encodes once per image. In threshold mode
    /// (<see cref="MethodSelection.Mode"/>) <paramref name="thresholds"/> calibrates each budget's threshold row.
    /// In a <paramref name="world"/> of several ranks, each encodes and answers its share of the images and every rank ends
    /// with the whole table.
    /// </summary>
    /// <exception cref="ArgumentException">No examples or budgets, a budget outside (0, 1), pruners of another width than the
    /// model's, threshold mode without <paramref name="thresholds"/>, or (budgets as rates) threshold mode or a method that
    /// does not prune before the LLM or does not run on the model.</exception>
    public TableEvaluation(VlmInference inference, WordTokenizer tokenizer, IReadOnlyList<SceneExample> examples, MethodSelection selection,
        IReadOnlyList<double> fractions, string modelName, ulong seed = 0, int batchSize = 32, ValidationThresholds? thresholds = null, Communicator? world = null)
    {
        if (examples.Count == 0) throw new ArgumentException("no scenes to evaluate on");
        if (fractions.Count == 0) throw new ArgumentException("no budgets to evaluate at");
        foreach (double f in fractions)
            if (!(f > 0 && f < 1)) throw new ArgumentException($"budget {f} is outside (0, 1): give kept shares of N such as 1/9");
        var vlm = inference.Model;
        selection.Pruners?.CheckFits(vlm.VisualWidth, modelName);
        selection = selection.RunnableOn(vlm, out var leftOut, out var note);
        LeftOut = leftOut;
        LeftOutNote = note;
        _vlm = vlm;
        _examples = examples;
        _model = modelName;
        _seed = seed;
        _world = world ?? Communicator.Single;
        _evaluator = new SceneBenchEvaluator(inference, tokenizer, batchSize, world: _world);
        _inference = inference;
        _costProbe = new(() => (examples[0].Scene.Image, ScenePrompt.PromptIds(tokenizer, examples[0].ItemsOf(SceneSuite.VqaV2).First().Prompt)));
        int n = _tokens = vlm.BudgetTokens ?? MeanTokens(vlm, examples);
        var plan = new List<PlannedRow> { new(null, n, MethodSelection.Vanilla) };
        foreach (double f in fractions)
        {
            int keep = BudgetFractions.Keep(f, n);
            var methods = vlm.BudgetTokens == null ? selection.AtRate(f, keep, seed) : selection.At(keep, seed, thresholds);
            plan.AddRange(methods.Select(m => new PlannedRow(f, keep, m)));
        }
        // at a rate, a method that cannot run so is refused now, not after the rows before it
        if (vlm.BudgetTokens == null) foreach (var row in plan) row.Method.Build(vlm);
        Plan = plan;
    }

    /// <summary>Methods of the selection this model cannot run, left out of the plan (<see cref="MethodSelection.RunnableOn"/>).</summary>
    public IReadOnlyList<string> LeftOut { get; }

    /// <summary>Why <see cref="LeftOut"/> were left out, one sentence; null when none were.</summary>
    public string? LeftOutNote { get; }

    /// <summary>The test images' mean N, rounded (VizWiz's degraded images have their scene's size).</summary>
    static int MeanTokens(IVisionLanguageModel vlm, IReadOnlyList<SceneExample> examples) =>
        (int)Math.Round(examples.Average(e => vlm.TokenCount(e.Scene.Image)), MidpointRounding.AwayFromZero);


    /// <summary>The rows to evaluate, Vanilla first.</summary>
    public IReadOnlyList<PlannedRow> Plan { get; }

    /// <summary>Questions answered per row.</summary>
    public int Items => _examples.Sum(e => e.Items.Count);

    /// <summary>Answers and scores every question with one planned row's method (retention is filled in by <see cref="Table"/>),
    /// counting what a pre-LLM method keeps of each test image.</summary>
    public EvaluationRow Evaluate(PlannedRow row)
    {
        var method = row.Method.Build(_vlm);
        var counter = new KeptTokenCounter(method);
        var clock = Stopwatch.StartNew();
        var result = _evaluator.EvaluateScenes(_examples, counter);
        return new EvaluationRow(row.Method.Label, method.Location, method.Keep, result.Scores, null, clock.Elapsed.TotalSeconds)
        {
            Outcomes = result.Scenes,
            Kept = counter.Kept(_world),
            Threshold = method is TokenPruner { Mode: BudgetMode.Threshold } pruner ? pruner.Config.Threshold : null,
            PrefillFlops = PrefillFlops(row),
        };
    }

    /// <summary>
    /// The prefill FLOPs of the first test scene's first VQAv2 question (as <c>diffprune profile</c> takes) under the row's
    /// method, its image encoded as the evaluation encodes it (the features are shared, and a LLaVA-NeXT image is tiled). The
    /// method is built afresh for it, so that a seeded method answers the evaluation as it would without it.
    /// </summary>
    double PrefillFlops(PlannedRow row)
    {
        var (image, prompt) = _costProbe.Value;
        var method = row.Method.Build(_vlm);
        var encoded = _inference.Encode([image], method.NeedsVisionAttentions);
        return FlopCount.Of(_vlm, encoded, TokenSchedule.Observe(_inference, method, encoded, prompt)).Prefill;
    }

    /// <summary>
    /// The table of <paramref name="rows"/>, evaluated in <see cref="Plan"/> order, with retention against the first
    /// (Vanilla) and, when every row kept its per-scene answers, the bootstrap intervals of <see cref="TableStatistics"/>
    /// (resamples seeded with this evaluation's seed).
    /// </summary>
    /// <exception cref="ArgumentException">Rows that do not match the plan.</exception>
    public EvaluationTable Table(IReadOnlyList<EvaluationRow> rows)
    {
        if (rows.Count != Plan.Count) throw new ArgumentException($"the plan has {Plan.Count} rows, got {rows.Count}");
        var vanilla = rows[0] with { Retention = EvaluationTable.Retention(rows[0].Scores, rows[0].Scores) };
        var blocks = Enumerable.Range(1, rows.Count - 1)
            .GroupBy(i => (Plan[i].Fraction!.Value, Plan[i].Keep), i => rows[i] with { Retention = EvaluationTable.Retention(rows[i].Scores, vanilla.Scores) })
            .Select(g => new EvaluationBlock(g.Key.Value, g.Key.Keep, g.ToArray()))
            .ToArray();
        return TableStatistics.Apply(new EvaluationTable(_model, _tokens, _examples.Count, Items, vanilla, blocks)
        {
            Bench = _examples.Count > 0 ? _examples[0].Scene.Options.Configuration.Name() : SceneBenchConfiguration.Classic.Name(),
            Tiled = _vlm is LlavaModel { Config.IsAnyRes: true },
            NativeResolution = _vlm.BudgetTokens == null,
            LeftOut = LeftOut,
            LeftOutNote = LeftOutNote,
        }, seed: _seed);
    }

    /// <summary>Evaluates every planned row (calling <paramref name="onRow"/> after each) and returns the table.</summary>
    public EvaluationTable Run(Action<EvaluationRow>? onRow = null) =>
        Table(Plan.Select(p =>
        {
            var row = Evaluate(p);
            onRow?.Invoke(row);
            return row;
        }).ToArray());
}
