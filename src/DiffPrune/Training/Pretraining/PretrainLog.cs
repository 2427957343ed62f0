using System.Text.Json.Serialization;
using DiffPrune.Data.Scenes;

namespace DiffPrune.Training.Pretraining;

/// <summary>The run's history as JSON lines in its folder: <c>log.jsonl</c> (one line per step) and <c>evals.jsonl</c>
/// (vision accuracy, validation and test scores). Opening a log to resume at step s drops the lines of steps ≥ s,
/// which the resumed run takes again (and any test scores), so the files always describe one uninterrupted run (<see cref="RunLog{T}"/>).</summary>
public sealed class PretrainLog(string dir, int step)
{
    readonly RunLog<PretrainStepReport> _steps = new(Path.Combine(dir, "log.jsonl"), r => r.Step < step);
    // evaluations run after their step's checkpoint is due, so those at the resume step stay; test scores are
    // recomputed whenever a finished run is opened again
    readonly RunLog<PretrainEvaluation> _evals = new(Path.Combine(dir, "evals.jsonl"), e => e.Step <= step && e.Kind != "test");

    /// <summary>Every step logged, in order.</summary>
    public List<PretrainStepReport> Steps => _steps.Records;

    /// <summary>Every evaluation logged, in order.</summary>
    public List<PretrainEvaluation> Evaluations => _evals.Records;

    /// <summary>Appends a step.</summary>
    public void Step(PretrainStepReport report) => _steps.Add(report);

    /// <summary>Appends the vision tower's dense accuracy after <paramref name="step"/> steps.</summary>
    public void Vision(int step, DenseAccuracy accuracy) => _evals.Add(new PretrainEvaluation(step, "vision", null, accuracy));

    /// <summary>Appends per-suite scores after <paramref name="step"/> steps on <paramref name="split"/>.</summary>
    public void Evaluation(int step, string split, IReadOnlyList<SuiteScore> scores) =>
        _evals.Add(new PretrainEvaluation(step, split, scores.ToDictionary(s => s.Suite.DisplayName(), s => s.Value), null));
}

/// <summary>One evaluation during pretraining.</summary>
/// <param name="Step">Steps taken when it ran.</param>
/// <param name="Kind">"vision" (dense heads on validation scenes), "validation" or "test" (suite scores).</param>
/// <param name="Scores">Suite display name → score in [0, 1] (suite evaluations).</param>
/// <param name="Vision">Dense-head accuracy (vision evaluations).</param>
public sealed record PretrainEvaluation(int Step, string Kind, Dictionary<string, double>? Scores, DenseAccuracy? Vision)
{
    /// <summary>Mean suite score, or NaN for a vision evaluation.</summary>
    [JsonIgnore]
    public double Average => Scores is { Count: > 0 } s ? s.Values.Average() : double.NaN;
}
