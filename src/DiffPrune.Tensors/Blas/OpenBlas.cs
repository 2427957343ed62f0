using System.Runtime.InteropServices;

namespace DiffPrune.Tensors.Blas;

/// <summary>Binding to OpenBLAS's <c>cblas_sgemm</c>, resolved at run time so the library stays optional.</summary>
internal static unsafe class OpenBlas
{
    const int RowMajor = 101, NoTrans = 111, Trans = 112;

    static readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> _sgemm;
    static readonly delegate* unmanaged<int> _getNumThreads;
    static readonly delegate* unmanaged<int, void> _setNumThreads;

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
            if (NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out var st))
                _setNumThreads = (delegate* unmanaged<int, void>)st;
            IsAvailable = true;
            LibraryName = name;
            // the engine owns the threads (ThreadBudget): OpenBLAS computes single-threaded strips
            if (_setNumThreads != null) _setNumThreads(1);
            return;
        }
        LoadError = "libopenblas.so.0 not found";
    }

    /// <summary>OpenBLAS's thread count (0 when unknown).</summary>
    public static int Threads => _getNumThreads != null ? _getNumThreads() : 0;

    /// <summary>
    /// cblas_sgemm, cut into strips of C over up to <paramref name="threads"/> engine threads when the product is large
    /// (OpenBLAS itself runs single-threaded on each strip).
    /// </summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, int threads = 1)
    {
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            if (threads <= 1 || (long)m * n * k < ManagedGemm.ParallelMinWork)
            {
                Call(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
                return;
            }
            var job = GemmStrips.Plan(GemmKernel.Best(), native: true, transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, threads);
            if (job.Count <= 1) Call(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
            else GemmForkJoin.Run(job, threads);
        }
    }

    /// <summary>Strip of <paramref name="job"/> starting at column (or row) <paramref name="start"/> of C, in one OpenBLAS call.</summary>
    public static void RunStrip(in GemmStrips job, int start)
    {
        if (job.SplitN)
        {
            int nn = Math.Min(job.Width, job.N - start);
            float* bs = job.TransB ? job.B + (long)start * job.Ldb : job.B + start;
            Call(job.TransA, job.TransB, job.M, nn, job.K, job.Alpha, job.A, job.Lda, bs, job.Ldb, job.Beta, job.C + start, job.Ldc);
        }
        else
        {
            int mm = Math.Min(job.Width, job.M - start);
            float* as_ = job.TransA ? job.A + start : job.A + (long)start * job.Lda;
            Call(job.TransA, job.TransB, mm, job.N, job.K, job.Alpha, as_, job.Lda, job.B, job.Ldb, job.Beta, job.C + (long)start * job.Ldc, job.Ldc);
        }
    }

    static void Call(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc) =>
        _sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha,
            a, Math.Max(lda, 1), b, Math.Max(ldb, 1), beta, c, Math.Max(ldc, 1));
}
