using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
    public static void PackA(bool transA, float* a, int lda, int i0, int mr, int p0, int kc, int MR, float alpha, float* dst)
    {
        if (transA) CopyRows(a + (long)p0 * lda + i0, lda, mr, kc, alpha, dst, MR);      // stored k×m: runs of mr
        else TransposeRows(a + (long)i0 * lda + p0, lda, mr, kc, alpha, dst, MR);        // stored m×k: a transpose
    }

    /// <summary>
    /// Packs depth p0..p0+kc, columns j0..j0+nc of op(B) into NR-wide panels: panel q (columns j0+q·NR ..)
    /// starts at dst + q·NR·kc and holds dst[q·NR·kc + p·NR + j] = op(B)[p0+p, j0+q·NR+j], zero past column nc.
    /// </summary>
    public static void PackB(bool transB, float* b, int ldb, int p0, int kc, int j0, int nc, int NR, float* dst)
    {
        for (int jr = 0; jr < nc; jr += NR)
        {
            int nr = Math.Min(NR, nc - jr);
            float* d = dst + (long)jr * kc;
            if (transB) TransposeRows(b + (long)(j0 + jr) * ldb + p0, ldb, nr, kc, 1f, d, NR); // stored n×k
            else CopyRows(b + (long)p0 * ldb + j0 + jr, ldb, nr, kc, 1f, d, NR);                // stored k×n
        }
    }

    /// <summary>dst[p*w + j] = alpha·src[p*ld + j] for j &lt; cols, 0 for cols ≤ j &lt; w; p &lt; kc.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void CopyRows(float* src, int ld, int cols, int kc, float alpha, float* dst, int w)
    {
        var va = new Vector<float>(alpha);
        int vw = Vector<float>.Count;
        for (int p = 0; p < kc; p++, src += ld, dst += w)
        {
            int j = 0;
            for (; j + vw <= cols; j += vw) Vector.Store(Vector.Load(src + j) * va, dst + j);
            for (; j < cols; j++) dst[j] = alpha * src[j];
            for (; j < w; j++) dst[j] = 0f;
        }
    }

    /// <summary>
    /// dst[p*w + i] = alpha·src[i*ld + p] for i &lt; rows, 0 for rows ≤ i &lt; w; p &lt; kc: packing a stored-transposed
    /// operand. 4×4 blocks are transposed in SSE registers (4 loads, 8 shuffles, 4 stores for 16 values), about
    /// four times the scalar loop, which matters for the small products where packing is a large share of the time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void TransposeRows(float* src, int ld, int rows, int kc, float alpha, float* dst, int w)
    {
        int p = 0;
        int rows4 = rows & ~3;
        if (Sse.IsSupported && rows4 > 0)
        {
            var va = Vector128.Create(alpha);
            for (; p + 4 <= kc; p += 4)
                for (int i = 0; i < rows4; i += 4)
                {
                    float* s = src + (long)i * ld + p;
                    var r0 = Sse.LoadVector128(s);                 // row i:   p .. p+3
                    var r1 = Sse.LoadVector128(s + ld);            // row i+1
                    var r2 = Sse.LoadVector128(s + 2L * ld);
                    var r3 = Sse.LoadVector128(s + 3L * ld);
                    var t0 = Sse.UnpackLow(r0, r1);                // r0[0] r1[0] r0[1] r1[1]
                    var t1 = Sse.UnpackHigh(r0, r1);               // r0[2] r1[2] r0[3] r1[3]
                    var t2 = Sse.UnpackLow(r2, r3);
                    var t3 = Sse.UnpackHigh(r2, r3);
                    float* d = dst + (long)p * w + i;
                    Sse.Store(d, Sse.MoveLowToHigh(t0, t2) * va);          // column p:   r0[0] r1[0] r2[0] r3[0]
                    Sse.Store(d + w, Sse.MoveHighToLow(t2, t0) * va);      // column p+1
                    Sse.Store(d + 2 * w, Sse.MoveLowToHigh(t1, t3) * va);  // column p+2
                    Sse.Store(d + 3 * w, Sse.MoveHighToLow(t3, t1) * va);  // column p+3
                }
            // The rows past rows4 for those depths, and then every row of the remaining depths, go scalar below.
            for (int q = 0; q < p; q++)
                for (int i = rows4; i < rows; i++) dst[(long)q * w + i] = alpha * src[(long)i * ld + q];
        }
        for (; p < kc; p++)
            for (int i = 0; i < rows; i++) dst[(long)p * w + i] = alpha * src[(long)i * ld + p];
        if (rows < w)
            for (int q = 0; q < kc; q++)
                for (int i = rows; i < w; i++) dst[(long)q * w + i] = 0f;
    }
}
