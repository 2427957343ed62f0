using System.Globalization;
using System.Text;

namespace DiffPrune.Training;

/// <summary>How every trainer updates its weights (<see cref="GuardedOptimizer"/>): AdamW with decoupled weight decay, a learning rate
/// that warms up linearly and then follows a cosine to a fraction of its peak (<c>CosineSchedule</c>), gradient clipping by
/// global L2 norm, and a stop after non-finite steps. Each trainer's options hold one with that trainer's defaults; the others are stated here.</summary>
public sealed record OptimizerSettings
{
    static readonly OptimizerSettings Defaults = new();

    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Linear warmup steps (a run shorter than this warms up over its own length).</summary>
    public int WarmupSteps { get; init; }

    /// <summary>The cosine ends at this fraction of the peak (1: a constant learning rate).</summary>
    public double FinalLearningRateFraction { get; init; } = 0.1;

    /// <summary>AdamW weight decay (PyTorch's default).</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Gradient clipping (global L2 norm).</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Steps in a row with a non-finite loss or gradient (each skipped) that stop training; 1 stops at the first.</summary>
    public int MaxBadSteps { get; init; } = 1;

    /// <summary>Checks the settings by <paramref name="rules"/>, whose owner names the options record.</summary>
    /// <exception cref="ArgumentException">Names the setting at fault.</exception>
    public void Validate(OptionRules rules)
    {
        rules.Require(LearningRate > 0 && double.IsFinite(LearningRate), $"LearningRate = {LearningRate} must be > 0");
        rules.Require(WarmupSteps >= 0 && FinalLearningRateFraction is >= 0 and <= 1, $"WarmupSteps = {WarmupSteps} must be ≥ 0 and FinalLearningRateFraction = {FinalLearningRateFraction} in [0, 1]");
        rules.Require(WeightDecay >= 0 && MaxGradNorm > 0 && MaxBadSteps >= 1, $"WeightDecay = {WeightDecay} must be ≥ 0, MaxGradNorm = {MaxGradNorm} > 0 and MaxBadSteps = {MaxBadSteps} ≥ 1");
    }

    /// <summary>Appends the settings that shape the weights to an options description (<c>name = value</c> lines). Warmup and final
    /// fraction appear only when they differ from the defaults unless <paramref name="withSchedule"/>, so that checkpoints written
    /// before they were options still resume.</summary>
    public void Describe(StringBuilder sb, bool withSchedule)
    {
        void Line(string name, object value) => sb.Append(name).Append(" = ").Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append('\n');
        Line("lr", LearningRate);
        if (withSchedule || WarmupSteps != Defaults.WarmupSteps) Line("warmup_steps", WarmupSteps);
        if (withSchedule || FinalLearningRateFraction != Defaults.FinalLearningRateFraction) Line("final_lr_fraction", FinalLearningRateFraction);
        Line("weight_decay", WeightDecay);
        Line("max_grad_norm", MaxGradNorm);
    }
}
