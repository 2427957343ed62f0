using System.Globalization;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Vlm;
using DiffPrune.Reporting;

namespace DiffPrune.Training.Pruner;

/// <summary>
/// A pruner training run in its folder: <c>log.jsonl</c> (every step), <c>validation.jsonl</c>, the checkpoint
/// written at every validation, and the best pruner so far (by hard-top-K validation loss) in <c>pruner/</c>. A run
/// started with resume continues from its checkpoint, its logs cut back to the steps it has taken.
/// </summary>
public sealed class PrunerTrainingRun
{
    const string CheckpointName = "checkpoint.safetensors";
    readonly string _stepsLog, _validationLog, _checkpoint;

    /// <summary>The trainer.</summary>
    public PrunerTrainer Trainer { get; }

    /// <summary>The run folder.</summary>
    public string Dir { get; }

    /// <summary>The best pruner's folder.</summary>
    public string PrunerDir => Path.Combine(Dir, "pruner");

    /// <summary>Steps taken so far.</summary>
    public List<PrunerStepReport> Steps { get; }

    /// <summary>Validations so far.</summary>
    public List<PrunerValidation> Validations { get; }

    /// <summary>True when training is over (all steps, or early stopping).</summary>
    public bool Done => Trainer.Done;

    PrunerTrainingRun(PrunerTrainer trainer, string dir)
    {
        Trainer = trainer;
        Dir = dir;
        _stepsLog = Path.Combine(dir, "log.jsonl");
        _validationLog = Path.Combine(dir, "validation.jsonl");
        _checkpoint = Path.Combine(dir, CheckpointName);
        Steps = JsonLines.Read<PrunerStepReport>(_stepsLog).Where(s => s.Step < trainer.Step).ToList();
        Validations = JsonLines.Read<PrunerValidation>(_validationLog).Where(v => v.Step <= trainer.Step).ToList();
        JsonLines.Write(_stepsLog, Steps);
        JsonLines.Write(_validationLog, Validations);
    }

    /// <summary>Starts (or with <paramref name="resume"/> continues) a run in <paramref name="dir"/>; <paramref name="pool"/> shares encoded features.</summary>
    /// <exception cref="ArgumentException">A fresh run into a folder that holds a checkpoint.</exception>
    public static PrunerTrainingRun Start(LlavaModel vlm, WordTokenizer tokenizer, SceneOptions scenes, PrunerTrainingOptions options, string dir,
        bool resume = false, CaptionFeaturePool? pool = null)
    {
        var checkpoint = Path.Combine(dir, CheckpointName);
        if (!resume && File.Exists(checkpoint)) throw new ArgumentException($"{checkpoint} exists: resume that run, or choose another folder");
        var trainer = resume ? PrunerTrainer.Resume(checkpoint, vlm, tokenizer, scenes, options, pool) : PrunerTrainer.Create(vlm, tokenizer, scenes, options, pool);
        Directory.CreateDirectory(dir);
        return new PrunerTrainingRun(trainer, dir);
    }

    /// <summary>Takes one step, and validates (saving the checkpoint, and the pruner when it is the best) when one is due.</summary>
    public (PrunerStepReport Step, PrunerValidation? Validation) Next()
    {
        var report = Trainer.TrainStep();
        Steps.Add(report);
        JsonLines.Append(_stepsLog, report);
        var options = Trainer.Options;
        if (Trainer.Step % options.EvalEvery != 0 && Trainer.Step != options.Steps && !Trainer.Done) return (report, null);
        var v = Trainer.Validate();
        Validations.Add(v);
        JsonLines.Append(_validationLog, v);
        if (v.Best) Trainer.ToPruner().Save(PrunerDir);
        Trainer.SaveCheckpoint(_checkpoint);
        return (report, v);
    }

    /// <summary>Writes report.md/json and the curves, with <paramref name="scores"/> (method → test scores, the reference first) when given.</summary>
    public void WriteReport(IReadOnlyDictionary<string, IReadOnlyList<SuiteScore>>? scores = null) =>
        PrunerTrainingReport.Write(Dir, Trainer.Options, Steps, Validations, scores ?? new Dictionary<string, IReadOnlyList<SuiteScore>>(), Trainer.Scenes.Configuration);

    /// <summary>One line for a step (progress displays).</summary>
    public static string Describe(PrunerStepReport r) => string.Create(CultureInfo.InvariantCulture,
        $"step {r.Step} loss {r.Loss:F3} τ {r.Tau:F2} spread {r.Alpha.LogitSpread:F2} α in {r.Alpha.MeanInsideTopK:F2} out {r.Alpha.MassOutsideTopK:F2} {r.Examples / r.Seconds:F1} ex/s");

    /// <summary>One line for a validation.</summary>
    public static string Describe(PrunerValidation v) => string.Create(CultureInfo.InvariantCulture,
        $"step {v.Step}: validation loss soft {v.SoftLoss:F4}, hard top-K {v.HardLoss:F4}{(v.Best ? " (best)" : "")}; α in top-K {v.Alpha.MeanInsideTopK:F3}, outside {v.Alpha.MassOutsideTopK:F3}, effective tokens {v.Alpha.EffectiveTokens:F1}, logit spread {v.Alpha.LogitSpread:F3}");
}
