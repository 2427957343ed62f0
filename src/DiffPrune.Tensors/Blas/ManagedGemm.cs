using System.Runtime.CompilerServices;

namespace DiffPrune.Tensors.Blas;

// The managed SGEMM driver, in the Goto/BLIS structure (row-major names):
//   for jc in n by NC:                      B block (KC×NC) packed once, reused by every row panel → L2
//     for pc in k by KC:
//       pack op(B)[pc.., jc..] into NR-wide panels
//       for ir in m by MR:                  A panel (MR×KC) packed once, reused by every B panel → L1
//         pack alpha·op(A)[ir.., pc..]
//         for jr in nc by NR:               one MR×NR tile of C, accumulated in registers (GemmKernels.cs)
// beta is applied by the first k-block only (later k-blocks accumulate with beta = 1). Threads split C into
// column strips (or row strips when C is tall), each strip running this same single-threaded driver.

/// <summary>
/// The managed GEMM: a plain reference kernel (<see cref="Reference"/>) and the fast kernel used when OpenBLAS
/// is absent. Same semantics as <see cref="Gemm.Sgemm"/>: row-major C = alpha·op(A)·op(B) + beta·C.
/// </summary>
public static unsafe class ManagedGemm
{
    static readonly GemmKernel Kernel = GemmKernel.Best();

    /// <summary>
    /// Below this many multiply-adds (m·n·k) one thread does the whole product: waking a pool thread takes 5–20 µs
    /// (more on a busy machine), while 96³ multiply-adds take ~15 µs on one AVX-512 core, so splitting smaller
    /// products gains little or loses (measured: 64³ runs at ~80 GFLOP/s on one thread, ~55 on two).
    /// </summary>
    internal const long ParallelMinWork = 96 * 96 * 96;

    /// <summary>The micro-kernel in use, e.g. "AVX-512 12x32".</summary>
    public static string KernelName => Kernel.Name;

    /// <summary>Threads a large product is split over: the <see cref="ThreadBudget"/> (one inside a parallel engine loop).</summary>
    public static int MaxThreads => ThreadBudget.Available;

    /// <summary>
    /// Fast path: cache-blocked, packed, register-blocked SIMD kernel, split over <see cref="MaxThreads"/> cores for
    /// large products.
    /// </summary>
    /// <exception cref="ArgumentException">Negative sizes, or a buffer or leading dimension too small for its matrix.</exception>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        => Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, Kernel, MaxThreads);

    /// <summary>
    /// As the public overload, with a given micro-kernel and at most <paramref name="maxThreads"/> threads; tests use
    /// it to run every kernel the machine supports and to force the multi-threaded path on small products.
    /// </summary>
    internal static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        GemmKernel kern, int maxThreads, bool forceSplit = false)
    {
        // The kernels use raw pointers, so bounds are checked here once rather than on every access.
        CheckBounds(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            if (k == 0 || alpha == 0f)
            {
                // Nothing to multiply: C = beta·C (beta == 0 writes zeros without reading C, as BLAS).
                ScaleC(m, n, beta, pc, ldc);
                return;
            }
            int threads = !forceSplit && (long)m * n * k < ParallelMinWork ? 1 : maxThreads;
            var job = GemmStrips.Plan(kern, native: false, transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, threads);
            if (job.Count <= 1) Driver(kern, transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
            else GemmForkJoin.Run(job, threads);
        }
    }

    /// <summary>Strip <paramref name="s"/> of <paramref name="job"/>: the same product restricted to a column (or row) range of C.</summary>
    internal static void RunStrip(in GemmStrips job, int s)
    {
        int start = s * job.Width;
        if (job.Native)
        {
            OpenBlas.RunStrip(in job, start);
            return;
        }
        if (job.SplitN)
        {
            // Columns start.. of C are columns start.. of op(B): a column offset of B, or a row offset when B is transposed.
            int nn = Math.Min(job.Width, job.N - start);
            float* bs = job.TransB ? job.B + (long)start * job.Ldb : job.B + start;
            Driver(job.Kernel, job.TransA, job.TransB, job.M, nn, job.K, job.Alpha, job.A, job.Lda, bs, job.Ldb, job.Beta, job.C + start, job.Ldc);
        }
        else
        {
            // Rows start.. of C are rows start.. of op(A): a row offset of A, or a column offset when A is transposed.
            int mm = Math.Min(job.Width, job.M - start);
            float* as_ = job.TransA ? job.A + start : job.A + (long)start * job.Lda;
            Driver(job.Kernel, job.TransA, job.TransB, mm, job.N, job.K, job.Alpha, as_, job.Lda, job.B, job.Ldb, job.Beta, job.C + (long)start * job.Ldc, job.Ldc);
        }
    }

    static void CheckBounds(bool transA, bool transB, int m, int n, int k, int aLen, int lda, int bLen, int ldb, int cLen, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"GEMM sizes must be non-negative (m={m}, n={n}, k={k})");
        Check("A", transA ? k : m, transA ? m : k, aLen, lda);
        Check("B", transB ? n : k, transB ? k : n, bLen, ldb);
        Check("C", m, n, cLen, ldc);

        static void Check(string name, int rows, int cols, int len, int ld)
        {
            if (rows == 0 || cols == 0) return;
            if (ld < cols) throw new ArgumentException($"GEMM: leading dimension of {name} ({ld}) is smaller than its {cols} columns");
            if ((long)(rows - 1) * ld + cols > len)
                throw new ArgumentException($"GEMM: {name} needs {(long)(rows - 1) * ld + cols} floats ({rows}×{cols}, ld {ld}) but has {len}");
        }
    }

    /// <summary>The single-threaded blocked product (loop structure in the file header).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Driver(in GemmKernel kern, bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        int MR = kern.MR, NR = kern.NR, KC = kern.KC, NC = kern.NC;
        var buffers = PackBuffers.Rent(MR * KC, KC * NC, MR * NR);
        float* ap = buffers.A, bp = buffers.B, tile = buffers.Tile;
        var run = kern.Run;
        for (int jc = 0; jc < n; jc += NC)
        {
            int nc = Math.Min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                float betaBlock = pc == 0 ? beta : 1f;
                GemmPacking.PackB(transB, b, ldb, pc, kc, jc, nc, NR, bp);
                for (int ir = 0; ir < m; ir += MR)
                {
                    int mr = Math.Min(MR, m - ir);
                    GemmPacking.PackA(transA, a, lda, ir, mr, pc, kc, MR, alpha, ap);
                    float* crow = c + (long)ir * ldc + jc;
                    for (int jr = 0; jr < nc; jr += NR)
                    {
                        int nr = Math.Min(NR, nc - jr);
                        float* bpanel = bp + (long)jr * kc;
                        if (mr == MR && nr == NR) run(kc, ap, bpanel, crow + jr, ldc, betaBlock);
                        else
                        {
                            // Edge tile: full-size kernel into scratch, then merge only the valid mr×nr corner.
                            run(kc, ap, bpanel, tile, NR, 0f);
                            MergeTile(tile, NR, crow + jr, ldc, mr, nr, betaBlock);
                        }
                    }
                }
            }
        }
        PackBuffers.Return(buffers); // not in a finally: nothing above throws, and a lost buffer is only garbage
    }

    /// <summary>C[i, j] = tile[i·NR + j] + beta·C[i, j] over the valid mr×nr corner (beta == 0 does not read C).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void MergeTile(float* tile, int NR, float* c, int ldc, int mr, int nr, float beta)
    {
        for (int i = 0; i < mr; i++)
        {
            float* t = tile + i * NR;
            float* ci = c + (long)i * ldc;
            if (beta == 0f)
                for (int j = 0; j < nr; j++) ci[j] = t[j];
            else
                for (int j = 0; j < nr; j++) ci[j] = t[j] + beta * ci[j];
        }
    }

    /// <summary>C = beta·C over m×n (used when k == 0 or alpha == 0).</summary>
    static void ScaleC(int m, int n, float beta, float* c, int ldc)
    {
        if (beta == 1f) return;
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + (long)i * ldc, n);
            if (beta == 0f) row.Clear();
            else System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }

    /// <summary>The readable reference: triple loop in double precision.</summary>
    public static void Reference(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double acc = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA ? a[p * lda + i] : a[i * lda + p];
                    float bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    acc += (double)av * bv;
                }
                c[i * ldc + j] = (float)(alpha * acc + (beta == 0f ? 0.0 : beta * (double)c[i * ldc + j]));
            }
    }
}
