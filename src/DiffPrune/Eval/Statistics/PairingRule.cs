namespace DiffPrune.Eval.Statistics;

/// <summary>Which row of a budget every other row there is compared with.</summary>
public enum PairingRule
{
    /// <summary>The trained DiffPrune pruner at that budget: the method under study.</summary>
    DiffPrune,
    /// <summary>The row with the highest point retention at that budget, when no DiffPrune pruner was evaluated.</summary>
    BestAtBudget,
}
