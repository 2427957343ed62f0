using DiffPrune.Tensors.Blas;
using Xunit.Abstractions;

namespace DiffPrune.Tensors.Tests;

// Every GEMM path against ManagedGemm.Reference (a double-precision triple loop).
// Tolerance per element: |got − ref| ≤ 1e-6·(k·max|A|·max|B|·|alpha| + |beta|·max|C₀|) + 1e-6.
// float32 accumulation over k terms errs by about √k·2⁻²⁴·max|A|·max|B| per element, far below k·1e-6·… for any
// k here, while a wrong index (the bugs that matter) is off by O(max|A|·max|B|).
// C buffers are compared whole, padding included, so a kernel that writes outside its m×n window fails too.
public class GemmTests(ITestOutputHelper output)
{
    delegate void SgemmFn(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc);

    static readonly (bool A, bool B)[] Transposes = [(false, false), (false, true), (true, false), (true, true)];

    static readonly (int M, int N, int K)[] OddShapes =
    [
        (1, 1, 1), (7, 13, 5), (33, 65, 17), (130, 3, 257), (3, 130, 257), (12, 32, 1), (13, 33, 2), (11, 31, 255),
        (25, 97, 256), (24, 64, 513), (1, 700, 9), (700, 1, 9), (37, 530, 70), (61, 47, 300),
    ];

    /// <summary>Runs one product with <paramref name="fn"/> and with the reference and compares whole C buffers.</summary>
    static void Compare(SgemmFn fn, bool transA, bool transB, int m, int n, int k, float alpha, float beta,
        int padA = 0, int padB = 0, int padC = 0, int seed = 1, string label = "")
    {
        var rng = new Random(seed);
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = aCols + padA, ldb = bCols + padB, ldc = n + padC;
        var a = Fill(rng, aRows * lda, 1f);
        var b = Fill(rng, bRows * ldb, 1f);
        var c0 = Fill(rng, m * ldc, 2f);
        if (beta == 0f) Array.Fill(c0, float.NaN); // BLAS: beta == 0 must not read C
        for (int i = 0; i < m; i++)                  // sentinels in C's padding must survive
            for (int j = n; j < ldc; j++) c0[i * ldc + j] = -777f;
        var expected = (float[])c0.Clone();
        var got = (float[])c0.Clone();
        ManagedGemm.Reference(transA, transB, m, n, k, alpha, a, Math.Max(lda, 1), b, Math.Max(ldb, 1), beta, expected, Math.Max(ldc, 1));
        fn(transA, transB, m, n, k, alpha, a, Math.Max(lda, 1), b, Math.Max(ldb, 1), beta, got, Math.Max(ldc, 1));
        float maxC = beta == 0f ? 0f : 2f;
        double tol = 1e-6 * (k * 1.0 * 1.0 * Math.Abs(alpha) + Math.Abs(beta) * maxC) + 1e-6;
        for (int i = 0; i < got.Length; i++)
        {
            float e = expected[i], g = got[i];
            if (float.IsNaN(e) && float.IsNaN(g)) continue;
            if (!(Math.Abs(e - g) <= tol))
                Assert.Fail($"{label} transA={transA} transB={transB} m={m} n={n} k={k} alpha={alpha} beta={beta} " +
                            $"pads=({padA},{padB},{padC}): C[{i / Math.Max(ldc, 1)},{i % Math.Max(ldc, 1)}] = {g}, reference {e} (tol {tol:G3})");
        }
    }

    static float[] Fill(Random rng, int count, float scale)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++) x[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return x;
    }

    static void ManagedFn(bool tA, bool tB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        => ManagedGemm.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    static void OpenBlasFn(bool tA, bool tB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        => OpenBlas.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>The same sweep for any implementation: square 0..40, each dimension 0..40 alone, odd shapes.</summary>
    static void Sweep(SgemmFn fn, string label)
    {
        foreach (var (tA, tB) in Transposes)
        {
            for (int s = 0; s <= 40; s++)
            {
                Compare(fn, tA, tB, s, s, s, 1f, 0f, seed: s, label: label);
                Compare(fn, tA, tB, s, 19, 7, 1f, 0f, seed: s, label: label);
                Compare(fn, tA, tB, 14, s, 9, 1f, 1f, seed: s, label: label);
                Compare(fn, tA, tB, 13, 35, s, -0.5f, 0.25f, seed: s, label: label);
            }
            foreach (var (m, n, k) in OddShapes)
                Compare(fn, tA, tB, m, n, k, 1f, 0f, label: label);
        }
    }

    [Fact]
    public void ManagedMatchesReferenceForAllTransposesAndSizes() => Sweep(ManagedFn, "managed");

    [Fact]
    public void EveryMicroKernelMatchesReference()
    {
        // The default picks the widest kernel; the AVX2 and portable ones are the fallbacks on other machines.
        foreach (var kernel in GemmKernel.Supported())
        {
            output.WriteLine($"kernel {kernel.Name}");
            Sweep((ta, tb, m, n, k, al, a, lda, b, ldb, be, c, ldc) =>
                ManagedGemm.Sgemm(ta, tb, m, n, k, al, a, lda, b, ldb, be, c, ldc, kernel, 1), kernel.Name);
            foreach (var (tA, tB) in Transposes)
                Compare((ta, tb, m, n, k, al, a, lda, b, ldb, be, c, ldc) =>
                        ManagedGemm.Sgemm(ta, tb, m, n, k, al, a, lda, b, ldb, be, c, ldc, kernel, 2, forceSplit: true),
                    tA, tB, 37, 100, 260, 0.75f, 0.5f, padA: 1, padB: 2, padC: 3, label: kernel.Name + " split");
        }
    }

    [Fact]
    public void ManagedHandlesAlphaBetaAndPaddedLeadingDimensions()
    {
        foreach (var (tA, tB) in Transposes)
            foreach (var (alpha, beta) in new[] { (1f, 0f), (1f, 1f), (-0.5f, 0.25f), (2f, -1f), (0f, 0.5f), (0f, 0f) })
                foreach (var (m, n, k) in new[] { (7, 13, 5), (33, 65, 17), (26, 70, 300) })
                {
                    Compare(ManagedFn, tA, tB, m, n, k, alpha, beta, label: "managed");
                    Compare(ManagedFn, tA, tB, m, n, k, alpha, beta, padA: 3, padB: 5, padC: 7, label: "managed padded");
                }
    }

    [Fact]
    public void ManagedBetaZeroIgnoresNaNInC()
    {
        // Compare() fills C with NaN when beta == 0; check explicitly too, also for k == 0 (C = 0, not NaN·0).
        foreach (int k in new[] { 0, 1, 40 })
        {
            var c = Enumerable.Repeat(float.NaN, 5 * 9).ToArray();
            ManagedGemm.Sgemm(false, false, 5, 9, k, 1f, new float[5 * Math.Max(k, 1)], Math.Max(k, 1), new float[k * 9], 9, 0f, c, 9);
            Assert.All(c, v => Assert.Equal(0f, v));
        }
    }

    [OpenBlasFact]
    public void OpenBlasSplitIntoStripsOnEngineThreadsMatchesReference()
    {
        // above ManagedGemm.ParallelMinWork, so each product is cut into single-threaded OpenBLAS calls on strips of C
        foreach (var (tA, tB) in Transposes)
            foreach (int threads in new[] { 2, 3 })
                foreach (var (m, n, k) in new[] { (100, 130, 90), (230, 50, 100) })
                    Compare((ta, tb, mm, nn, kk, al, a, lda, b, ldb, be, c, ldc) =>
                            OpenBlas.Sgemm(ta, tb, mm, nn, kk, al, a, lda, b, ldb, be, c, ldc, threads),
                        tA, tB, m, n, k, 0.75f, 0.5f, padA: 1, padB: 2, padC: 3, label: $"OpenBLAS {threads} threads");
    }

    [Fact]
    public void ManagedSplitAcrossThreadsMatchesReference()
    {
        // Small shapes would run on one thread; force the split to test strip offsets on both sides of C.
        foreach (var (tA, tB) in Transposes)
            foreach (int threads in new[] { 2, 3 })
                foreach (var (m, n, k) in new[] { (5, 70, 9), (70, 5, 9), (40, 41, 33), (37, 100, 260) })
                    Compare((ta, tb, mm, nn, kk, al, a, lda, b, ldb, be, c, ldc) =>
                            ManagedGemm.Sgemm(ta, tb, mm, nn, kk, al, a, lda, b, ldb, be, c, ldc, GemmKernel.Best(), threads, forceSplit: true),
                        tA, tB, m, n, k, 0.75f, 0.5f, padA: 1, padB: 2, padC: 3, label: $"managed {threads} threads");
    }

    [Fact]
    public void ManagedIsCorrectWhenManyThreadsMultiplyAtOnce()
    {
        // Every pool thread inside a split GEMM at once: helpers may never get a thread, so callers must be able to
        // finish every strip themselves, and concurrent calls must not share packing buffers.
        Parallel.For(0, 24, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            Compare((ta, tb, m, n, k, al, a, lda, b, ldb, be, c, ldc) =>
                    ManagedGemm.Sgemm(ta, tb, m, n, k, al, a, lda, b, ldb, be, c, ldc, GemmKernel.Best(), 4, forceSplit: true),
                i % 2 == 0, i % 3 == 0, 40 + i, 70 - i, 33 + 7 * i, 1f, 0.5f, seed: i, label: $"concurrent {i}"));
    }

    [Fact]
    public void ManagedLargeProductAcrossBlocksMatchesReference()
    {
        // Crosses the k-block (256) and n-block (512) boundaries and runs multi-threaded.
        Compare(ManagedFn, false, false, 100, 600, 520, 1f, 0f, label: "managed large");
        Compare(ManagedFn, true, true, 600, 100, 300, 1f, 1f, padA: 1, padB: 1, padC: 1, label: "managed large");
    }

    [OpenBlasFact]
    public void OpenBlasMatchesReference()
    {
        Sweep(OpenBlasFn, "openblas");
        foreach (var (tA, tB) in Transposes)
            Compare(OpenBlasFn, tA, tB, 33, 65, 17, -0.5f, 0.25f, padA: 3, padB: 5, padC: 7, label: "openblas padded");
    }

    [Fact]
    public void GemmRejectsTooShortBuffersWithAClearMessage()
    {
        var a = new float[6];   // 2×3
        var b = new float[12];  // 3×4
        var c = new float[8];   // 2×4
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 4, 3, 1f, a.AsSpan(0, 5), 3, b, 4, 0f, c, 4));
        Assert.Contains("A needs 6 floats", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 4, 3, 1f, a, 3, b, 4, 0f, c.AsSpan(0, 7), 4));
        Assert.Contains("C needs 8 floats", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, true, 2, 4, 3, 1f, a, 3, b, 2, 0f, c, 4));
        Assert.Contains("leading dimension of B (2)", ex.Message);
        // The managed kernel is public and works on raw pointers, so it checks on its own as well.
        ex = Assert.Throws<ArgumentException>(() => ManagedGemm.Sgemm(true, false, 2, 4, 3, 1f, a, 2, b.AsSpan(0, 11), 4, 0f, c, 4));
        Assert.Contains("B needs 12 floats", ex.Message);
    }
}
