using DiffPrune.Tensors.Blas;

namespace DiffPrune.Tensors.Tests;

/// <summary>A fact that needs OpenBLAS loaded; reported as skipped, with the reason and the package, where it is not.</summary>
public sealed class OpenBlasFactAttribute : FactAttribute
{
    /// <summary>Skips unless <see cref="OpenBlas.IsAvailable"/>.</summary>
    public OpenBlasFactAttribute()
    {
        if (!OpenBlas.IsAvailable) Skip = $"OpenBLAS not loaded ({OpenBlas.LoadError}); apt-get install libopenblas0-pthread to run this test";
    }
}
