namespace DiffPrune.Pruning;

/// <summary>How a trained pruner turns its logits into a budget at inference.</summary>
public enum BudgetMode
{
    /// <summary>Every image keeps exactly K tokens, its K highest logits (paper Eq. 3).</summary>
    TopK,
    /// <summary>
    /// Every image keeps the tokens whose standardised logit reaches a calibrated threshold (at least its best one),
    /// so K varies per image and is K on average over the calibration images (<see cref="ThresholdCalibration"/>).
    /// </summary>
    Threshold,
}

/// <summary>Reads a <see cref="BudgetMode"/> as the command line spells it.</summary>
public static class BudgetModes
{
    /// <summary>"topk" or "threshold", any case.</summary>
    /// <exception cref="ArgumentException">Anything else (the message lists both).</exception>
    public static BudgetMode Parse(string text) =>
        text.Trim().ToLowerInvariant() switch
        {
            "topk" or "top-k" => BudgetMode.TopK,
            "threshold" => BudgetMode.Threshold,
            _ => throw new ArgumentException($"--budget-mode must be topk or threshold (got '{text}')"),
        };
}
