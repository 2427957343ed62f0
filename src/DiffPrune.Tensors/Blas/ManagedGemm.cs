using System.Numerics.Tensors;

namespace DiffPrune.Tensors.Blas;

/// <summary>
/// The managed GEMM: a plain reference kernel (<see cref="Reference"/>) and the fast kernel used when OpenBLAS
/// is absent. Same semantics as <see cref="Gemm.Sgemm"/>.
/// </summary>
public static class ManagedGemm
{
    /// <summary>Fast path: rows of C are split across cores; each row is an axpy over rows of op(B).</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        // op(B) rows must be contiguous for the axpy form; transpose B once when needed.
        float[] bt;
        int ldbt;
        if (transB)
        {
            bt = new float[k * n];
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++) bt[p * n + j] = b[j * ldb + p];
            ldbt = n;
        }
        else
        {
            bt = b.ToArray();
            ldbt = ldb;
        }
        var aa = a.ToArray();
        var cc = new float[(m - 1) * ldc + n];
        c[..cc.Length].CopyTo(cc);
        Parallel.For(0, m, i =>
        {
            var ci = cc.AsSpan(i * ldc, n);
            if (beta == 0f) ci.Clear();
            else if (beta != 1f) TensorPrimitives.Multiply(ci, beta, ci);
            for (int p = 0; p < k; p++)
            {
                float av = alpha * (transA ? aa[p * lda + i] : aa[i * lda + p]);
                if (av == 0f) continue;
                TensorPrimitives.MultiplyAdd(bt.AsSpan(p * ldbt, n), av, ci, ci);
            }
        });
        cc.CopyTo(c);
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
