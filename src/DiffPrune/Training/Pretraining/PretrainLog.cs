using System.Text.Json.Serialization;
using DiffPrune.Data.Scenes;
using DiffPrune.Reporting;

namespace DiffPrune.Training.Pretraining;

/// <summary>
/// The run's history as JSON lines in its folder: <c>log.jsonl</c> (one line per step) and <c>evals.jsonl</c>
/// (vision accuracy, validation and test scores). Opening a log to resume at step s drops the lines of steps ≥ s,
/// which the resumed run takes again (and any test scores), so the files always describe one uninterrupted run.
/// </summary>
public sealed class PretrainLog
{
    readonly string _steps, _evals;

    /// <summary>Every step logged, in order.</summary>
    public List<PretrainStepReport> Steps { get; }

    /// <summary>Every evaluation logged, in order.</summary>
    public List<PretrainEvaluation> Evaluations { get; }

    /// <summary>Opens (or starts) the log in <paramref name="dir"/> for a run that continues at <paramref name="step"/>.</summary>
    public PretrainLog(string dir, int step)
    {
        _steps = Path.Combine(dir, "log.jsonl");
        _evals = Path.Combine(dir, "evals.jsonl");
        Steps = JsonLines.Read<PretrainStepReport>(_steps).Where(r => r.Step < step).ToList();
        // evaluations run after their step's checkpoint is due, so those at the resume step stay; test scores are
        // recomputed whenever a finished run is opened again
        Evaluations = JsonLines.Read<PretrainEvaluation>(_evals).Where(e => e.Step <= step && e.Kind != "test").ToList();
        JsonLines.Write(_steps, Steps);
        JsonLines.Write(_evals, Evaluations);
    }

    /// <summary>Appends a step.</summary>
    public void Step(PretrainStepReport report)
    {
        Steps.Add(report);
        JsonLines.Append(_steps, report);
    }

    /// <summary>Appends the vision tower's dense accuracy after <paramref name="step"/> steps.</summary>
    public void Vision(int step, DenseAccuracy accuracy) => Add(new PretrainEvaluation(step, "vision", null, accuracy));

    /// <summary>Appends per-suite scores after <paramref name="step"/> steps on <paramref name="split"/>.</summary>
    public void Evaluation(int step, string split, IReadOnlyList<SuiteScore> scores) =>
        Add(new PretrainEvaluation(step, split, scores.ToDictionary(s => s.Suite.DisplayName(), s => s.Value), null));

    void Add(PretrainEvaluation e)
    {
        Evaluations.Add(e);
        JsonLines.Append(_evals, e);
    }
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
