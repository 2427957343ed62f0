namespace DiffPrune.Tensors.Tests;

/// <summary>A fact about Unix file semantics; reported as skipped on Windows, with the reason.</summary>
public sealed class UnixFactAttribute : FactAttribute
{
    /// <summary>Skips on Windows, saying why <paramref name="windowsDiffers"/>.</summary>
    public UnixFactAttribute(string windowsDiffers)
    {
        if (OperatingSystem.IsWindows()) Skip = $"not run on Windows: {windowsDiffers}";
    }
}
