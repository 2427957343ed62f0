using System.Text.Json.Serialization;

namespace DiffPrune.Training.Pretraining;

/// <summary>What one pretraining step did.</summary>
/// <param name="Step">Global step (0-based) just taken.</param>
/// <param name="Stage">Its stage.</param>
/// <param name="StageStep">Step inside the stage.</param>
/// <param name="Loss">Training loss of the batch.</param>
/// <param name="Accuracy">Stage 0: colour accuracy on object patches; stages 1–2: answer-token accuracy (teacher forced).</param>
/// <param name="LearningRate">Learning rate used.</param>
/// <param name="GradNorm">Global gradient norm before clipping.</param>
/// <param name="Examples">Images (stage 0) or sequences (stages 1–2) in the batch.</param>
/// <param name="Seconds">Wall time of the step, data included.</param>
/// <param name="Skipped">True when the loss or gradient was not finite and the update was skipped.</param>
public sealed record PretrainStepReport(int Step, PretrainStage Stage, int StageStep, double Loss, double Accuracy,
    double LearningRate, double GradNorm, int Examples, double Seconds, bool Skipped)
{
    /// <summary>Seconds of the step spent summing the ranks' losses and gradients (waiting for the slowest rank included); absent in one process.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? AllreduceSeconds { get; init; }
}

/// <summary>Answer-token loss of one task with the right images and with swapped ones.</summary>
/// <param name="Task">"captions" or a suite's name.</param>
/// <param name="Matched">Loss with each scene's own image.</param>
/// <param name="Swapped">Loss with another scene's image; ≈ <paramref name="Matched"/> means the image is ignored.</param>
public sealed record ImageReliance(string Task, double Matched, double Swapped);
