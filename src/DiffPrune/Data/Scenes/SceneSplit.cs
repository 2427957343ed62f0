namespace DiffPrune.Data.Scenes;

/// <summary>
/// Disjoint ranges of scene seeds. Scene i of a split has seed <see cref="SceneSplits.FirstSeed"/> + i:
/// train 0 … 999,999,999; validation 1,000,000,000 … 1,000,999,999; test 2,000,000,000 … 2,000,999,999.
/// </summary>
public enum SceneSplit
{
    /// <summary>Seeds 0 … 999,999,999 (training: generate on the fly).</summary>
    Train,
    /// <summary>Seeds 1,000,000,000 … 1,000,999,999 (early stopping, calibration).</summary>
    Validation,
    /// <summary>Seeds 2,000,000,000 … 2,000,999,999 (reported scores; identical on every machine).</summary>
    Test,
}

/// <summary>Seed ranges and names of the splits.</summary>
public static class SceneSplits
{
    /// <summary>Seed of the split's first scene.</summary>
    public static long FirstSeed(this SceneSplit split) => split switch
    {
        SceneSplit.Train => 0,
        SceneSplit.Validation => 1_000_000_000,
        SceneSplit.Test => 2_000_000_000,
        _ => throw new ArgumentOutOfRangeException(nameof(split), $"unknown split {split}"),
    };

    /// <summary>Number of scenes in the split.</summary>
    public static long Size(this SceneSplit split) => split == SceneSplit.Train ? 1_000_000_000 : 1_000_000;

    /// <summary>"train", "val" or "validation", "test" (case-insensitive).</summary>
    /// <exception cref="ArgumentException">Any other name.</exception>
    public static SceneSplit Parse(string name) => name.ToLowerInvariant() switch
    {
        "train" => SceneSplit.Train,
        "val" or "validation" => SceneSplit.Validation,
        "test" => SceneSplit.Test,
        _ => throw new ArgumentException($"unknown split '{name}'; use train, val or test"),
    };
}
