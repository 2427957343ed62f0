namespace DiffPrune.Pruning;

/// <summary>How many visual tokens the images kept: what a threshold-mode pruner's budget actually was.</summary>
/// <param name="Mean">Mean K over the images.</param>
/// <param name="Min">Fewest tokens an image kept.</param>
/// <param name="Max">Most tokens an image kept.</param>
/// <param name="Images">Images counted.</param>
public sealed record KeptTokenStats(double Mean, int Min, int Max, int Images)
{
    /// <summary>The statistics of per-image kept counts.</summary>
    /// <exception cref="ArgumentException">No images.</exception>
    public static KeptTokenStats Of(IEnumerable<int> counts)
    {
        var all = counts.ToArray();
        if (all.Length == 0) throw new ArgumentException("no images to count kept tokens of", nameof(counts));
        return new KeptTokenStats(all.Average(), all.Min(), all.Max(), all.Length);
    }
}
