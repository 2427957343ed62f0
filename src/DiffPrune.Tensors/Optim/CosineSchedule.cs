namespace DiffPrune.Tensors.Optim;

/// <summary>
/// Linear warmup over <see cref="WarmupSteps"/> (step s gets PeakValue·(s+1)/WarmupSteps, so the last warmup step
/// is at the peak and no step is wasted at 0), then cosine decay to
/// <see cref="FinalValue"/> at <see cref="TotalSteps"/> (held there afterwards). Used for learning rates and,
/// with no warmup, for DiffPrune's temperature τ (2.0 → 0.1).
/// </summary>
public sealed record CosineSchedule(double PeakValue, double FinalValue, int TotalSteps, int WarmupSteps = 0)
{
    /// <summary>The value at <paramref name="step"/> (0-based).</summary>
    public double At(int step)
    {
        if (TotalSteps <= 0) throw new ArgumentException($"cosine schedule needs TotalSteps > 0 (got {TotalSteps})");
        if (step < WarmupSteps) return PeakValue * (step + 1) / WarmupSteps;
        int span = Math.Max(TotalSteps - WarmupSteps, 1);
        double progress = Math.Clamp((double)(step - WarmupSteps) / span, 0, 1);
        return FinalValue + (PeakValue - FinalValue) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
