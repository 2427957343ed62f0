using DiffPrune.Tensors;

namespace DiffPrune.Cli;

/// <summary>
/// Upper bounds on the counts a command line may ask for. Scenes are generated up front with their images and
/// questions, and a batch's activations grow with it, so a mistyped zero too many would otherwise take all the memory.
/// </summary>
internal static class CommandLimits
{
    /// <summary>Most scenes one run scores or validates on (the paper's benchmarks have a few thousand questions each).</summary>
    public const int MaxScenes = 20_000;

    /// <summary>Largest batch (the paper trains at 32).</summary>
    public const int MaxBatch = 1_024;

    /// <summary>Refuses a scene count outside 1..<see cref="MaxScenes"/>.</summary>
    public static int Scenes(int value, string option) => Check(value, option, MaxScenes, "scenes");

    /// <summary>Refuses a batch size outside 1..<see cref="MaxBatch"/>.</summary>
    public static int Batch(int value, string option) => Check(value, option, MaxBatch, "items per batch");

    static int Check(int value, string option, int max, string what)
    {
        if (value < 1) throw new ArgumentException($"{option} must be at least 1 (got {value})");
        if (value > max) throw new ResourceLimitException($"{option} {value} exceeds the limit of {max:N0} {what}: give {max:N0} or fewer");
        return value;
    }
}
