using System.Text.Json.Serialization;
using DiffPrune.Pruning;
namespace DiffPrune.Training.Pruner;

/// <summary>One pruner training step.</summary>
/// <param name="Step">Step taken (0-based).</param>
/// <param name="Loss">Caption NLL of the frozen VLM on the throttled tokens.</param>
/// <param name="Tau">Temperature used.</param>
/// <param name="LearningRate">Learning rate used.</param>
/// <param name="Alpha">How binary α was.</param>
/// <param name="Examples">Captions in the batch.</param>
/// <param name="Seconds">Wall time, data included.</param>
public sealed record PrunerStepReport(int Step, double Loss, double Tau, double LearningRate, AlphaStats Alpha, int Examples, double Seconds)
{
    /// <summary>Seconds of the step spent summing the ranks' losses and gradients (waiting for the slowest rank included); absent in one process.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? AllreduceSeconds { get; init; }

    /// <summary>Full (gen-2) garbage collections of the process during the step; absent when none (the usual case: the
    /// step's buffers come from the engine's pool).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int FullCollections { get; init; }
}

/// <summary>A validation of the pruner on fixed validation captions.</summary>
/// <param name="Step">Steps taken.</param>
/// <param name="SoftLoss">Training objective (throttled, denoised; fixed noise) at the current τ.</param>
/// <param name="HardLoss">Deployed path: hard top-K by the scorer, no throttler or denoiser.</param>
/// <param name="Alpha">How binary α is on the validation batch.</param>
/// <param name="Best">True when <paramref name="HardLoss"/> is the best so far.</param>
/// <remarks>Two more losses split the gap between <see cref="SoftLoss"/> and <see cref="HardLoss"/> into its parts:
/// <see cref="BinaryLoss"/> is the training path with α made binary (what remains of the soft α's leak is gone, the
/// dropped tokens still enter as denoised noise), <see cref="DenoisedHardLoss"/> the deployed tokens through the denoiser
/// (no dropped tokens, but the train-only denoiser still reshapes the kept ones).</remarks>
public sealed record PrunerValidation(int Step, double SoftLoss, double HardLoss, AlphaStats Alpha, bool Best)
{
    /// <summary>Training path at a τ so small that α is binary: hard top-K, the other tokens as denoised noise.</summary>
    public double? BinaryLoss { get; init; }

    /// <summary>Deployed hard top-K tokens passed through the denoiser before the projector.</summary>
    public double? DenoisedHardLoss { get; init; }
}
