using System.Runtime.InteropServices;

namespace DiffPrune.Tensors.Blas;

/// <summary>Binding to OpenBLAS's <c>cblas_sgemm</c>, resolved at run time so the library stays optional.</summary>
internal static unsafe class OpenBlas
{
    const int RowMajor = 101, NoTrans = 111, Trans = 112;

    static readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> _sgemm;
    static readonly delegate* unmanaged<int> _getNumThreads;

    /// <summary>True when libopenblas loaded and exports cblas_sgemm.</summary>
    public static bool IsAvailable { get; }

    /// <summary>Why loading failed (null when it did not).</summary>
    public static string? LoadError { get; }

    /// <summary>The library file that was loaded.</summary>
    public static string? LibraryName { get; }

    static OpenBlas()
    {
        foreach (var name in new[] { "libopenblas.so.0", "libopenblas.so", "libopenblas.dylib", "libopenblas.dll" })
        {
            if (!NativeLibrary.TryLoad(name, out var handle)) continue;
            if (!NativeLibrary.TryGetExport(handle, "cblas_sgemm", out var fn)) continue;
            _sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)fn;
            if (NativeLibrary.TryGetExport(handle, "openblas_get_num_threads", out var nt))
                _getNumThreads = (delegate* unmanaged<int>)nt;
            IsAvailable = true;
            LibraryName = name;
            return;
        }
        LoadError = "libopenblas.so.0 not found";
    }

    /// <summary>OpenBLAS's thread count (0 when unknown).</summary>
    public static int Threads => _getNumThreads != null ? _getNumThreads() : 0;

    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            _sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha,
                pa, Math.Max(lda, 1), pb, Math.Max(ldb, 1), beta, pc, Math.Max(ldc, 1));
        }
    }
}
