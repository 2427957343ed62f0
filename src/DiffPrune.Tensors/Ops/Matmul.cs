using DiffPrune.Tensors.Blas;

namespace DiffPrune.Tensors;

// Matrix products. Transposes are passed to GEMM as flags, never materialised.
// Shapes: a (..., M, K) or (..., K, M) with transA; b (..., K, N) or (..., N, K) with transB; batch dims broadcast.
public sealed partial class Tensor
{
    /// <summary>op(a)·op(b) over the last two dims, batch dims broadcast (like <c>torch.matmul</c> with optional transposes).</summary>
    /// <exception cref="ArgumentException">Rank below 2 or inner sizes that differ (both shapes are named).</exception>
    public Tensor Matmul(Tensor b, bool transA = false, bool transB = false) => MatmulOps.Matmul(this, b, transA, transB);
}

internal static class MatmulOps
{
    public static Tensor Matmul(Tensor a, Tensor b, bool transA, bool transB)
    {
        if (a.Rank < 2 || b.Rank < 2)
            throw new ArgumentException($"matmul needs tensors of rank ≥ 2, got {a.Describe()} and {b.Describe()}");
        int m = transA ? a.Shape[^1] : a.Shape[^2], ka = transA ? a.Shape[^2] : a.Shape[^1];
        int kb = transB ? b.Shape[^1] : b.Shape[^2], n = transB ? b.Shape[^2] : b.Shape[^1];
        if (ka != kb)
            throw new ArgumentException($"matmul inner sizes differ: {a.Describe()}{(transA ? "ᵀ" : "")} · {b.Describe()}{(transB ? "ᵀ" : "")} ({ka} vs {kb})");
        int k = ka;

        // b is a plain matrix and a is not transposed: fold a's batch into rows, one GEMM.
        if (b.Rank == 2 && !transA)
        {
            int rows = a.Numel / Math.Max(k, 1);
            if (k == 0) rows = ShapeUtil.Numel(a.Shape.AsSpan(0, a.Rank - 1));
            var shape = a.Shape[..^1].Append(n).ToArray();
            var y = Tensor.Pooled(shape);
            Gemm.Sgemm(false, transB, rows, n, k, 1f, a.Data, k, b.Data, transB ? k : n, 0f, y.Data, n);
            return Autograd.Record(y, "matmul", [a, b], g =>
            {
                if (a.RequiresGrad) Gemm.Sgemm(false, !transB, rows, k, n, 1f, g.Data, n, b.Data, transB ? k : n, 1f, a.GradSpan(), k);
                if (b.RequiresGrad)
                {
                    if (transB) Gemm.Sgemm(true, false, n, k, rows, 1f, g.Data, n, a.Data, k, 1f, b.GradSpan(), k);
                    else Gemm.Sgemm(true, false, k, n, rows, 1f, a.Data, k, g.Data, n, 1f, b.GradSpan(), n);
                }
            });
        }
        return Batched(a, b, transA, transB, m, n, k);
    }

    static Tensor Batched(Tensor a, Tensor b, bool transA, bool transB, int m, int n, int k)
    {
        var aBatch = a.Shape[..^2];
        var bBatch = b.Shape[..^2];
        int[] batch;
        try { batch = ShapeUtil.Broadcast(aBatch, bBatch); }
        catch (ArgumentException e) { throw new ArgumentException($"matmul batch dims of {a.Describe()} and {b.Describe()} cannot be broadcast together", e); }
        var sa = ShapeUtil.BroadcastStrides(aBatch, batch);
        var sb = ShapeUtil.BroadcastStrides(bBatch, batch);
        int count = ShapeUtil.Numel(batch);
        var aOff = new int[count];
        var bOff = new int[count];
        int aMat = m * k, bMat = k * n, cMat = m * n;
        for (int i = 0, rem; i < count; i++)
        {
            rem = i;
            for (int d = batch.Length - 1; d >= 0; d--)
            {
                int idx = rem % batch[d];
                rem /= batch[d];
                aOff[i] += idx * sa[d];
                bOff[i] += idx * sb[d];
            }
        }
        int lda = transA ? m : k, ldb = transB ? k : n;
        var y = Tensor.Pooled(batch.Append(m).Append(n).ToArray());
        long work = (long)m * n * Math.Max(k, 1) / 8;
        RowParallel.For(count, work, (lo, hi) =>
        {
            for (int i = lo; i < hi; i++)
                Gemm.Sgemm(transA, transB, m, n, k, 1f, a.Data.Slice(aOff[i] * aMat, aMat), lda, b.Data.Slice(bOff[i] * bMat, bMat), ldb, 0f, y.Data.Slice(i * cMat, cMat), n);
        });
        return Autograd.Record(y, "bmm", [a, b], g =>
        {
            // a broadcast operand accumulates the gradients of several products: those run on one thread
            bool aShared = a.RequiresGrad && aOff.Distinct().Count() < count, bShared = b.RequiresGrad && bOff.Distinct().Count() < count;
            if (a.RequiresGrad) a.GradSpan(); // allocate here: threads must not race to create it
            if (b.RequiresGrad) b.GradSpan();
            RowParallel.For(count, aShared || bShared ? 0 : work, (lo, hi) =>
            {
                for (int i = lo; i < hi; i++) BackwardOne(g, i);
            });
        });

        void BackwardOne(Tensor g, int i)
        {
            var gi = g.Data.Slice(i * cMat, cMat);
            var ai = a.Data.Slice(aOff[i] * aMat, aMat);
            var bi = b.Data.Slice(bOff[i] * bMat, bMat);
            if (a.RequiresGrad)
            {
                var da = a.GradSpan().Slice(aOff[i] * aMat, aMat);
                if (!transA) Gemm.Sgemm(false, !transB, m, k, n, 1f, gi, n, bi, ldb, 1f, da, k);   // dA = dC·op(B)ᵀ
                else Gemm.Sgemm(transB, true, k, m, n, 1f, bi, ldb, gi, n, 1f, da, m);             // dA = op(B)·dCᵀ
            }
            if (b.RequiresGrad)
            {
                var db = b.GradSpan().Slice(bOff[i] * bMat, bMat);
                if (!transB) Gemm.Sgemm(!transA, false, k, n, m, 1f, ai, lda, gi, n, 1f, db, n);   // dB = op(A)ᵀ·dC
                else Gemm.Sgemm(true, transA, n, k, m, 1f, gi, n, ai, lda, 1f, db, k);             // dB = dCᵀ·op(A)
            }
        }
    }
}
