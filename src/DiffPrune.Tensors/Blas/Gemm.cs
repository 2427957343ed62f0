namespace DiffPrune.Tensors.Blas;

/// <summary>Which GEMM implementation runs.</summary>
public enum GemmBackend
{
    /// <summary>OpenBLAS <c>cblas_sgemm</c> through P/Invoke (Debian: libopenblas0-pthread).</summary>
    OpenBlas,
    /// <summary>The project's own SIMD kernel (<see cref="ManagedGemm"/>).</summary>
    Managed,
}

/// <summary>
/// Single-precision GEMM, row-major, BLAS semantics: C = alpha·op(A)·op(B) + beta·C with op(X) = X or Xᵀ.
/// A is m×k after op, B is k×n after op, C is m×n; lda/ldb/ldc are row strides of the stored matrices.
/// When <c>libopenblas.so.0</c> loads, the backend is the faster of OpenBLAS and the managed kernel on this machine
/// (measured once per process, <see cref="GemmCalibration"/>), else the managed kernel; the environment variable
/// <c>DIFFPRUNE_BLAS=managed|openblas</c> forces one. Either way the engine's <see cref="ThreadBudget"/> splits large products.
/// </summary>
public static class Gemm
{
    static long _calls;
    static long _ticks;
    static GemmBackend _backend = ChooseBackend();

    /// <summary>The backend in use.</summary>
    public static GemmBackend Backend => _backend;

    /// <summary>Number of GEMM calls since start (tests use it to prove that frozen weights skip their weight-gradient GEMM).</summary>
    public static long Calls => Interlocked.Read(ref _calls);

    /// <summary>When on, <see cref="Elapsed"/> accumulates the wall time spent inside GEMM calls (for the benchmarks' profiles).</summary>
    internal static bool Timed { get; set; }

    /// <summary>Time spent inside GEMM calls while <see cref="Timed"/> was on, summed over calling threads.</summary>
    internal static TimeSpan Elapsed => System.Diagnostics.Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _ticks));

    /// <summary>Sets <see cref="Elapsed"/> and <see cref="TimedShapes"/> back to zero.</summary>
    internal static void ResetElapsed()
    {
        Interlocked.Exchange(ref _ticks, 0);
        _shapes.Clear();
    }

    static readonly System.Collections.Concurrent.ConcurrentDictionary<GemmShape, (long Calls, long Ticks)> _shapes = new();

    /// <summary>The calls and time inside GEMM by shape while <see cref="Timed"/> was on: which products a step's GEMM time goes to.</summary>
    internal static IReadOnlyDictionary<GemmShape, (long Calls, TimeSpan Time)> TimedShapes =>
        _shapes.ToDictionary(kv => kv.Key, kv => (kv.Value.Calls, System.Diagnostics.Stopwatch.GetElapsedTime(0, kv.Value.Ticks)));

    /// <summary>Selects a backend explicitly (OpenBLAS only when it is available).</summary>
    /// <exception cref="InvalidOperationException">OpenBLAS was requested but could not be loaded.</exception>
    public static void Use(GemmBackend backend)
    {
        if (backend == GemmBackend.OpenBlas && !OpenBlas.IsAvailable)
            throw new InvalidOperationException($"OpenBLAS is not available ({OpenBlas.LoadError}); install the Debian package libopenblas0-pthread");
        _backend = backend;
    }

    /// <summary>The backend in use as one tag, <c>openblas</c> or <c>managed {kernel}</c>: checkpoints record it so that a resumed
    /// run multiplies as the run before it did (the two backends round differently).</summary>
    public static string Tag => _backend == GemmBackend.OpenBlas ? "openblas" : "managed " + ManagedGemm.KernelName;

    /// <summary>
    /// Continues a run on the backend it was recorded with (<paramref name="recorded"/>, a <see cref="Tag"/>), so that its later
    /// steps are those of an uninterrupted run: when the backend here was chosen by speed, the recorded one is taken if this
    /// machine has it. Returns one line for the user when the backend changes or cannot match, else null.
    /// </summary>
    public static string? Adopt(string recorded)
    {
        if (recorded == Tag) return null;
        string? forced = Environment.GetEnvironmentVariable("DIFFPRUNE_BLAS");
        GemmBackend? wanted = recorded == "openblas" && OpenBlas.IsAvailable ? GemmBackend.OpenBlas
            : recorded == "managed " + ManagedGemm.KernelName ? GemmBackend.Managed : null;
        if (string.IsNullOrWhiteSpace(forced) && wanted is { } backend)
        {
            string was = Tag;
            _backend = backend;
            return $"GEMM: continuing on {recorded}, as the run was written (the speed test here had chosen {was})";
        }
        string why = string.IsNullOrWhiteSpace(forced) ? "this machine cannot run it" : $"DIFFPRUNE_BLAS={forced.Trim()} selects {Tag}";
        return $"GEMM: the run was written with {recorded} and {why}, so the steps from here are not bit-identical to an uninterrupted run";
    }

    static GemmBackend ChooseBackend() => ChooseBackend(Environment.GetEnvironmentVariable("DIFFPRUNE_BLAS"));

    /// <summary>The backend a <c>DIFFPRUNE_BLAS</c> value of <paramref name="setting"/> selects (unset or blank: the faster one here).</summary>
    /// <exception cref="EnvironmentSettingException">Not a backend's name, or OpenBLAS asked for and not loadable.</exception>
    internal static GemmBackend ChooseBackend(string? setting)
    {
        var forced = setting?.Trim().ToLowerInvariant();
        switch (forced)
        {
            case null or "":
                return OpenBlas.IsAvailable ? GemmCalibration.Choose() : GemmBackend.Managed;
            case "managed":
                return GemmBackend.Managed;
            case "openblas":
                if (!OpenBlas.IsAvailable)
                    throw new EnvironmentSettingException($"DIFFPRUNE_BLAS=openblas but OpenBLAS could not be loaded ({OpenBlas.LoadError}); install libopenblas0-pthread or unset DIFFPRUNE_BLAS");
                return GemmBackend.OpenBlas;
            default:
                throw new EnvironmentSettingException($"DIFFPRUNE_BLAS='{setting}' is not a GEMM backend: set it to 'managed' or 'openblas', or unset it to take the faster one");
        }
    }

    /// <summary>C = alpha·op(A)·op(B) + beta·C on the selected backend.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        Interlocked.Increment(ref _calls);
        if (m == 0 || n == 0) return;
        long start = Timed ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
        if (_backend == GemmBackend.OpenBlas)
            OpenBlas.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ThreadBudget.Available);
        else
            ManagedGemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        if (start == 0) return;
        long ticks = System.Diagnostics.Stopwatch.GetTimestamp() - start;
        Interlocked.Add(ref _ticks, ticks);
        _shapes.AddOrUpdate(new GemmShape(transA, transB, m, n, k), (1, ticks), (_, v) => (v.Calls + 1, v.Ticks + ticks));
    }

    static void Validate(bool transA, bool transB, int m, int n, int k, int aLen, int lda, int bLen, int ldb, int cLen, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"GEMM sizes must be non-negative (m={m}, n={n}, k={k})");
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        Check("A", aRows, aCols, aLen, lda);
        Check("B", bRows, bCols, bLen, ldb);
        Check("C", m, n, cLen, ldc);
    }

    static void Check(string name, int rows, int cols, int len, int ld)
    {
        if (rows == 0 || cols == 0) return;
        if (ld < cols) throw new ArgumentException($"GEMM: leading dimension of {name} ({ld}) is smaller than its {cols} columns");
        if ((long)(rows - 1) * ld + cols > len) throw new ArgumentException($"GEMM: {name} needs {(long)(rows - 1) * ld + cols} floats ({rows}×{cols}, ld {ld}) but has {len}");
    }
}

/// <summary>One GEMM's shape: C (m×n) = op(A) (m×k) · op(B) (k×n).</summary>
internal readonly record struct GemmShape(bool TransA, bool TransB, int M, int N, int K)
{
    /// <summary>Floating-point operations of one call (2·m·n·k).</summary>
    public double Flops => 2.0 * M * N * K;

    /// <summary>"m×k·k×n", with ᵀ on a transposed operand.</summary>
    public override string ToString() => $"{M}×{K}{(TransA ? "ᵀ" : "")}·{K}×{N}{(TransB ? "ᵀ" : "")}";
}
