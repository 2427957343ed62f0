using DiffPrune.Tensors;
using DiffPrune.Training;

namespace DiffPrune.Probes;

/// <summary>Trains the probe's DeiT classifier on Fashion-MNIST with <see cref="ProbeOptions.ClassifierOptimizer"/>. Mini-batches are drawn (with replacement) from a generator
/// seeded per step, so a run depends only on its seed. With <see cref="Erasing"/>, each normalised mini-batch is then randomly
/// erased with per-pixel Gaussian noise (DeiT's recipe), the draws continuing the step's generator: the mini-batches stay the
/// ones a run without erasing sees.</summary>
public sealed class ClassifierTrainer
{
    readonly ProbeImages _train;
    readonly GuardedOptimizer _optimizer;
    readonly ulong _seed;

    /// <summary>The model being trained.</summary>
    public DeitClassifier Model { get; }

    /// <summary>Training steps in all.</summary>
    public int Steps { get; }

    /// <summary>Images per step.</summary>
    public int BatchSize { get; }

    /// <summary>Random erasing applied to every training mini-batch, or null for none.</summary>
    public RandomErasing? Erasing { get; }

    /// <summary>Training images erased so far.</summary>
    public long ErasedImages { get; private set; }

    /// <summary>The next step to take.</summary>
    public int Step { get; private set; }

    /// <summary>True once every step is taken.</summary>
    public bool Done => Step >= Steps;

    /// <summary>A trainer for <paramref name="model"/>.</summary>
    /// <exception cref="ArgumentException">Steps or batch size not positive, or invalid optimizer or erasing settings.</exception>
    public ClassifierTrainer(DeitClassifier model, ProbeImages train, int steps, int batchSize, OptimizerSettings optimizer, ulong seed, RandomErasing? erasing = null)
    {
        var rules = new OptionRules("classifier training");
        rules.Require(steps >= 1 && batchSize >= 1, $"steps {steps} and batch size {batchSize} must be positive");
        optimizer.Validate(rules);
        (Model, _train, Steps, BatchSize, _seed, Erasing) = (model, train, steps, batchSize, seed, erasing?.Validate());
        _optimizer = new GuardedOptimizer(optimizer, model.Parameters(), steps, "classifier training");
    }

    /// <summary>Takes the next step; returns its mini-batch loss.</summary>
    /// <exception cref="InvalidOperationException">Training is done.</exception>
    /// <exception cref="TrainingDivergedException">The loss was not finite too often.</exception>
    public double TrainStep()
    {
        if (Done) throw new InvalidOperationException($"classifier training is done ({Steps} steps)");
        var gen = new Generator(_seed ^ ((ulong)(Step + 1) * 0x9E3779B97F4A7C15UL));
        var (pixels, labels) = _train.Batch(_train.Sample(gen, BatchSize));
        if (Erasing != null) ErasedImages += Erasing.Apply(pixels, gen).Count;
        var update = _optimizer.Step(Step, () => GuardedOptimizer.Backward(F.CrossEntropy(Model.Forward(pixels), labels)));
        Step++;
        return update.Loss;
    }
}
