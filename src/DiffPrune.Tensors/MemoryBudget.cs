namespace DiffPrune.Tensors;

/// <summary>
/// Refuses, up front, work whose estimated memory exceeds what this process may use, so that a small input that asks for
/// a huge model or buffer fails with a message instead of paging the machine to a halt or being killed.
/// </summary>
public static class MemoryBudget
{
    /// <summary>
    /// Bytes this process may use: the GC's view of the machine (physical memory, or the container's limit), which
    /// <c>DOTNET_GCHeapHardLimit</c> lowers.
    /// </summary>
    public static long AvailableBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>Throws when <paramref name="bytes"/> exceeds <paramref name="available"/> (default <see cref="AvailableBytes"/>).</summary>
    /// <param name="bytes">The estimate.</param>
    /// <param name="what">What needs it, e.g. "model folder runs/pretrain/model (12.3 M parameters)".</param>
    /// <param name="hint">What to do instead.</param>
    /// <param name="available">The limit (tests pass a small one).</param>
    /// <exception cref="ResourceLimitException">The estimate exceeds the limit.</exception>
    public static void Require(long bytes, string what, string hint, long? available = null)
    {
        long limit = available ?? AvailableBytes;
        if (bytes < 0 || bytes > limit)
            throw new ResourceLimitException($"{what} needs about {Describe(bytes)} of memory, more than the {Describe(limit)} this machine has: {hint}");
    }

    /// <summary>Bytes as a short human-readable size ("1.5 GB").</summary>
    public static string Describe(long bytes) => bytes switch
    {
        < 0 => "more than 8 EB",
        < 1L << 20 => $"{bytes / 1024.0:F1} KB",
        < 1L << 30 => $"{bytes / (double)(1 << 20):F1} MB",
        _ => $"{bytes / (double)(1L << 30):F1} GB",
    };
}
