namespace DiffPrune.Tensors.Blas;

/// <summary>Facts about the GEMM backends, for <c>diffprune info</c> and the benchmarks.</summary>
public static class GemmInfo
{
    /// <summary>True when libopenblas could be loaded.</summary>
    public static bool OpenBlasAvailable => OpenBlas.IsAvailable;

    /// <summary>The OpenBLAS library file loaded, or null.</summary>
    public static string? OpenBlasLibrary => OpenBlas.LibraryName;

    /// <summary>How the backend was chosen when it was measured (null when forced or when OpenBLAS is absent).</summary>
    public static string? Calibration
    {
        get
        {
            _ = Gemm.Backend;
            return GemmCalibration.Summary;
        }
    }

    /// <summary>OpenBLAS's thread count (0 when not loaded).</summary>
    public static int OpenBlasThreads => OpenBlas.IsAvailable ? OpenBlas.Threads : 0;
}
