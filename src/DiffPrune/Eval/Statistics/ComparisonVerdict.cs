namespace DiffPrune.Eval.Statistics;

/// <summary>How a method compares with a reference once the interval of their paired difference is known.</summary>
public enum ComparisonVerdict
{
    /// <summary>The interval of the difference holds 0: the data cannot tell them apart.</summary>
    Tie,
    /// <summary>The whole interval lies above 0: the method retains more than the reference.</summary>
    Higher,
    /// <summary>The whole interval lies below 0: the method retains less than the reference.</summary>
    Lower,
}
