namespace DiffPrune.Training;

/// <summary>
/// Training stopped because its loss or gradient norm stayed non-finite for <see cref="OptimizerSettings.MaxBadSteps"/> steps in a
/// row (<see cref="GuardedOptimizer"/>): the hyper-parameters do not suit the run, typically a learning rate too high. Nothing was
/// updated by those steps and the last checkpoint is intact. The message names the trainer, the step and what to change.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>A stop with its one-line explanation.</summary>
    public TrainingDivergedException(string message) : base(message) { }

    /// <summary>A stop with its one-line explanation and the failure that revealed it.</summary>
    public TrainingDivergedException(string message, Exception inner) : base(message, inner) { }

    /// <summary>An empty stop (serialisers need it).</summary>
    public TrainingDivergedException() { }
}
