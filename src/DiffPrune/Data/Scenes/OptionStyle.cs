namespace DiffPrune.Data.Scenes;

/// <summary>How multiple-choice options are written after the question.</summary>
public enum OptionStyle
{
    /// <summary>"A. red B. blue" (MMBench, SEED, ScienceQA).</summary>
    Dotted,
    /// <summary>"(A) red (B) blue" (MMBench-CN: part of its shift).</summary>
    Parenthesized,
}
