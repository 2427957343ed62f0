using DiffPrune.Tensors;
using DiffPrune.Tensors.Optim;

namespace DiffPrune.Probes;

/// <summary>
/// Trains the probe's DeiT classifier on Fashion-MNIST: AdamW, linear warmup over the first tenth of the steps then cosine
/// decay to a tenth of the peak, gradient clipping at norm 1. Mini-batches are drawn (with replacement) from a generator
/// seeded per step, so a run depends only on its seed. With <see cref="Erasing"/>, each normalised mini-batch is then randomly
/// erased with per-pixel Gaussian noise (DeiT's recipe), the draws continuing the step's generator: the mini-batches stay the
/// ones a run without erasing sees.
/// </summary>
public sealed class ClassifierTrainer
{
    readonly ProbeImages _train;
    readonly AdamW _optimizer;
    readonly CosineSchedule _lr;
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
    /// <exception cref="ArgumentException">Steps, batch size or learning rate not positive, or invalid erasing settings.</exception>
    public ClassifierTrainer(DeitClassifier model, ProbeImages train, int steps, int batchSize, double learningRate, ulong seed, RandomErasing? erasing = null)
    {
        if (steps < 1 || batchSize < 1 || !(learningRate > 0))
            throw new ArgumentException($"classifier training needs positive steps, batch size and learning rate (got {steps}, {batchSize}, {learningRate})");
        (Model, _train, Steps, BatchSize, _seed, Erasing) = (model, train, steps, batchSize, seed, erasing?.Validate());
        _optimizer = new AdamW(model.Parameters(), (float)learningRate, weightDecay: 0.05f);
        _lr = new CosineSchedule(learningRate, 0.1 * learningRate, steps, Math.Max(1, steps / 10));
    }

    /// <summary>Takes the next step; returns its mini-batch loss.</summary>
    /// <exception cref="InvalidOperationException">Training is done, or the loss is not finite.</exception>
    public double TrainStep()
    {
        if (Done) throw new InvalidOperationException($"classifier training is done ({Steps} steps)");
        var gen = new Generator(_seed ^ ((ulong)(Step + 1) * 0x9E3779B97F4A7C15UL));
        var (pixels, labels) = _train.Batch(_train.Sample(gen, BatchSize));
        if (Erasing != null) ErasedImages += Erasing.Apply(pixels, gen).Count;
        _optimizer.LearningRate = (float)_lr.At(Step);
        double value = OptimizerStep.Take(_optimizer, F.CrossEntropy(Model.Forward(pixels), labels), $"classifier training step {Step}");
        Step++;
        return value;
    }
}
