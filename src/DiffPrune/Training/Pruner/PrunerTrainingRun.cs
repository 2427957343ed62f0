using System.Globalization;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Distributed;
using DiffPrune.Tensors.IO;

namespace DiffPrune.Training.Pruner;

/// <summary>A pruner training run in its folder: <c>log.jsonl</c> (every step), <c>validation.jsonl</c>, the checkpoint (written
/// every <see cref="PrunerTrainingOptions.CheckpointEvery"/> steps, at every validation and at the end), and the best pruner so far (by hard-top-K validation loss) in <c>pruner/</c>. A run
/// started with resume continues from its checkpoint, its logs cut back to the steps it has taken. Under data parallelism every
/// rank trains and validates, and rank 0 alone reads and writes the folder.</summary>
public sealed class PrunerTrainingRun
{
    readonly RunLog<PrunerStepReport>? _steps;
    readonly RunLog<PrunerValidation>? _validations;
    readonly string _checkpoint;
    readonly bool _writes;
    readonly Communicator _world;

    /// <summary>The trainer.</summary>
    public PrunerTrainer Trainer { get; }

    /// <summary>The run folder.</summary>
    public string Dir { get; }

    /// <summary>The best pruner's folder.</summary>
    public string PrunerDir => Path.Combine(Dir, "pruner");

    /// <summary>Steps taken so far (on rank 0; empty on the others).</summary>
    public List<PrunerStepReport> Steps => _steps?.Records ?? [];

    /// <summary>Validations so far (on rank 0; empty on the others).</summary>
    public List<PrunerValidation> Validations => _validations?.Records ?? [];

    /// <summary>True when training is over (all steps, or early stopping).</summary>
    public bool Done => Trainer.Done;

    PrunerTrainingRun(PrunerTrainer trainer, string dir, string checkpoint, Communicator world)
    {
        bool writes = world.IsRoot;
        (Trainer, Dir, _checkpoint, _writes, _world) = (trainer, dir, checkpoint, writes, world);
        if (!writes) return;
        _steps = new RunLog<PrunerStepReport>(Path.Combine(dir, "log.jsonl"), s => s.Step < trainer.Step);
        _validations = new RunLog<PrunerValidation>(Path.Combine(dir, "validation.jsonl"), v => v.Step <= trainer.Step);
    }

    /// <summary>Starts (or with <paramref name="resume"/> continues) a run in <paramref name="dir"/>; <paramref name="pool"/> shares encoded features;
    /// <paramref name="world"/> (default one process) trains data-parallel.</summary>
    /// <exception cref="ArgumentException">A fresh run into a folder that holds a checkpoint.</exception>
    public static PrunerTrainingRun Start(IVisionLanguageModel vlm, WordTokenizer tokenizer, SceneOptions scenes, PrunerTrainingOptions options, string dir,
        bool resume = false, CaptionFeaturePool? pool = null, Communicator? world = null)
    {
        world ??= Communicator.Single;
        bool writes = world.IsRoot;
        var checkpoint = writes ? TrainingCheckpoint.InFolder(dir, resume) : Path.Combine(dir, "checkpoint.safetensors");
        var trainer = resume ? PrunerTrainer.Resume(checkpoint, vlm, tokenizer, scenes, options, pool, world) : PrunerTrainer.Create(vlm, tokenizer, scenes, options, pool, world);
        if (writes) Directory.CreateDirectory(dir);
        return new PrunerTrainingRun(trainer, dir, checkpoint, world);
    }

    /// <summary>Takes one step; validates when one is due (saving the pruner when it is the best) and checkpoints when one is due.</summary>
    public (PrunerStepReport Step, PrunerValidation? Validation) Next()
    {
        var report = Trainer.TrainStep();
        _steps?.Add(report);
        var options = Trainer.Options;
        PrunerValidation? v = null;
        if (Trainer.Step % options.EvalEvery == 0 || Trainer.Step == options.Steps || Trainer.Done)
        {
            v = Trainer.Validate();
            _validations?.Add(v);
            if (v.Best && _writes)
            {
                Trainer.ToPruner().Save(PrunerDir);
                Trainer.Denoiser.Save(Path.Combine(PrunerDir, Denoiser.FileName));   // not deployed; kept to measure it deployed
            }
        }
        if (_writes && (v != null || Trainer.Done || Trainer.Step % options.CheckpointEvery == 0)) Trainer.SaveCheckpoint(_checkpoint);
        return (report, v);
    }

    /// <summary>The best pruner of the run (by hard-top-K validation loss), which rank 0 reads from <see cref="PrunerDir"/> and sends to
    /// the other ranks (they may not see its folder). Under data parallelism every rank must call it.</summary>
    public TokenPruner BestPruner()
    {
        if (_world.Size == 1) return TokenPruner.Load(PrunerDir);
        var config = Trainer.ToPruner().Config;
        var pruner = _world.IsRoot ? TokenPruner.Load(PrunerDir) : new TokenPruner(new TokenScorer(config.VisionWidth, new Generator(0), config.Heads, config.Layers), config);
        foreach (var p in pruner.Scorer.Parameters()) _world.Broadcast(p.Data);
        return pruner;
    }

    /// <summary>Writes report.md/json and the curves, with <paramref name="scores"/> (method → test scores, the reference first) when given;
    /// nothing on ranks other than 0.</summary>
    public void WriteReport(IReadOnlyDictionary<string, IReadOnlyList<SuiteScore>>? scores = null)
    {
        if (!_writes) return;
        PrunerTrainingReport.Write(Dir, Trainer.Options, Steps, Validations, scores ?? new Dictionary<string, IReadOnlyList<SuiteScore>>(), Trainer.Scenes.Configuration);
    }

    /// <summary>One line for a step (progress displays).</summary>
    public static string Describe(PrunerStepReport r) => string.Create(CultureInfo.InvariantCulture,
        $"step {r.Step} loss {r.Loss:F3} τ {r.Tau:F2} spread {r.Alpha.LogitSpread:F2} α in {r.Alpha.MeanInsideTopK:F2} out {r.Alpha.MassOutsideTopK:F2} {r.Examples / r.Seconds:F1} ex/s");

    /// <summary>One line for a validation.</summary>
    public static string Describe(PrunerValidation v) => string.Create(CultureInfo.InvariantCulture,
        $"step {v.Step}: validation loss soft {v.SoftLoss:F4}, binary α {v.BinaryLoss:F4}, hard top-K + denoiser {v.DenoisedHardLoss:F4}, hard top-K {v.HardLoss:F4}{(v.Best ? " (best)" : "")}; α in top-K {v.Alpha.MeanInsideTopK:F3}, outside {v.Alpha.MassOutsideTopK:F3}, effective tokens {v.Alpha.EffectiveTokens:F1}, logit spread {v.Alpha.LogitSpread:F3}");
}
