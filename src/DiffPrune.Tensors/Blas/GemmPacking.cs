using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DiffPrune.Tensors.Blas;

// Packing copies a block of op(A) or op(B) into the contiguous, k-major panel layout the micro-kernels read
// (see GemmKernels.cs). This is where transposes are handled: the kernels only ever see op(A) and op(B), so
// no transposed copy of a whole matrix is ever made. Rows/columns past the edge of the matrix are packed as
// zeros, so an edge tile is computed by the same full-size kernel (the driver keeps only its valid corner; the
// zeros just keep stale buffer contents, possibly denormals or NaN, out of the FMA pipes).
//   op(A)[i, p] = transA ? A[p*lda + i] : A[i*lda + p]     (A stored k×m when transposed, else m×k)
//   op(B)[p, j] = transB ? B[j*ldb + p] : B[p*ldb + j]     (B stored n×k when transposed, else k×n)

/// <summary>Packing of A and B panels for the managed SGEMM.</summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs rows i0..i0+mr of op(A), depth p0..p0+kc, scaled by alpha, into <paramref name="dst"/> (kc, MR):
    /// dst[p*MR + i] = alpha·op(A)[i0+i, p0+p], zero for i ≥ mr.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(bool transA, float* a, int lda, int i0, int mr, int p0, int kc, int MR, float alpha, float* dst)
    {
        if (transA)
        {
            // Stored k×m: each depth p is a contiguous run of mr values.
            for (int p = 0; p < kc; p++)
            {
                float* src = a + (long)(p0 + p) * lda + i0;
                float* d = dst + p * MR;
                int i = 0;
                for (; i < mr; i++) d[i] = alpha * src[i];
                for (; i < MR; i++) d[i] = 0f;
            }
        }
        else
        {
            // Stored m×k: walk the mr rows side by side so each row's cache lines are read sequentially.
            for (int i = 0; i < mr; i++)
            {
                float* src = a + (long)(i0 + i) * lda + p0;
                float* d = dst + i;
                for (int p = 0; p < kc; p++) d[p * MR] = alpha * src[p];
            }
            for (int i = mr; i < MR; i++)
                for (int p = 0; p < kc; p++) dst[p * MR + i] = 0f;
        }
    }

    /// <summary>
    /// Packs depth p0..p0+kc, columns j0..j0+nc of op(B) into NR-wide panels: panel q (columns j0+q·NR ..)
    /// starts at dst + q·NR·kc and holds dst[q·NR·kc + p·NR + j] = op(B)[p0+p, j0+q·NR+j], zero past column nc.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(bool transB, float* b, int ldb, int p0, int kc, int j0, int nc, int NR, float* dst)
    {
        for (int jr = 0; jr < nc; jr += NR)
        {
            int nr = Math.Min(NR, nc - jr);
            float* d = dst + (long)jr * kc;
            if (!transB)
            {
                // Stored k×n: each depth p is a contiguous run of nr values. A full run is a few vector copies
                // (NR is a multiple of the vector width); a memmove call per 128 bytes would cost more.
                float* src = b + (long)p0 * ldb + j0 + jr;
                if (nr == NR)
                    for (int p = 0; p < kc; p++, src += ldb)
                        for (int j = 0; j < NR; j += Vector<float>.Count)
                            Vector.Store(Vector.Load(src + j), d + p * NR + j);
                else
                    for (int p = 0; p < kc; p++, src += ldb)
                    {
                        int j = 0;
                        for (; j < nr; j++) d[p * NR + j] = src[j];
                        for (; j < NR; j++) d[p * NR + j] = 0f;
                    }
            }
            else
            {
                // Stored n×k: a transpose. Going down p with j innermost keeps the nr source rows' current cache
                // lines hot (nr ≤ 32 lines) while the destination is written sequentially.
                float* src = b + (long)(j0 + jr) * ldb + p0;
                if (nr == NR) TransposeFull(src, ldb, kc, NR, d);
                else
                    for (int p = 0; p < kc; p++)
                    {
                        int j = 0;
                        for (; j < nr; j++) d[p * NR + j] = src[(long)j * ldb + p];
                        for (; j < NR; j++) d[p * NR + j] = 0f;
                    }
            }
        }
    }

    /// <summary>d[p*NR + j] = src[j*ld + p] for p &lt; kc, j &lt; NR (a full panel of a transposed B).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void TransposeFull(float* src, int ld, int kc, int NR, float* d)
    {
        for (int p = 0; p < kc; p++)
        {
            float* s = src + p;
            float* row = d + p * NR;
            for (int j = 0; j < NR; j++) row[j] = s[(long)j * ld];
        }
    }
}
