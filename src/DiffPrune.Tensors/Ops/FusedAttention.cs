using System.Numerics.Tensors;
using DiffPrune.Tensors.Blas;

namespace DiffPrune.Tensors;

// Fused attention on token-major tensors. Legend: B = batch, T = queries, S = keys, H = query heads, G = key/value heads
// (H a multiple of G), D = channels per head.
//   q (B, T, H·D), k and v (B, S, G·D), as the projections write them: head h of token t is the D channels at t·H·D + h·D.
// Each (batch, head) block reads its q, k, v in place through the GEMM's leading dimension (no transposed copies),
// computes the scores, the masked softmax in place and p·v straight into the token-major output. The reference
// composition (F.ScaledDotProductAttention on (B, H, T, D) tensors) stays beside it; a test compares the two.

public static partial class F
{
    /// <summary>
    /// softmax(q·kᵀ·scale + mask)·v over token-major tensors: q (B, T, H·D), k and v (B, S, G·D) with G dividing H
    /// (grouped-query attention: query head h reads key/value head h / (H/G)); returns (B, T, H·D), and with
    /// <paramref name="returnProbs"/> the probabilities (B, H, T, S) (values only: no gradient flows through them).
    /// Equals <see cref="ScaledDotProductAttention"/> on the heads split out and transposed, and back (to float rounding),
    /// without the four transposed copies and their backward passes. scale defaults to 1/√D; a query whose keys are
    /// all masked gets a zero output. (batch, head) blocks run in parallel on the thread budget.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes that do not fit (named), or H not a multiple of G.</exception>
    public static (Tensor Output, Tensor? Probs) Attention(Tensor q, Tensor k, Tensor v, int heads, int kvHeads,
        AttentionMask? mask = null, float? scale = null, bool returnProbs = false)
    {
        var dims = AttentionDims.Of(q, k, v, heads, kvHeads);
        var (b, t, s, d) = (dims.B, dims.T, dims.S, dims.D);
        var additive = mask?.ToAdditive(b, heads, t, s);
        var maskRows = Tensor.MaskRowOffsets(additive, [b, heads, t, s]);
        float sc = scale ?? 1f / MathF.Sqrt(d);
        var probs = Tensor.Pooled(b, heads, t, s);
        var output = Tensor.Pooled(b, t, heads * d);
        float[] ms = additive?.Storage ?? [];
        RowParallel.For(b * heads, 2L * t * s * d, (lo, hi) =>
        {
            for (int bh = lo; bh < hi; bh++) AttentionForwardBlock(dims, bh, q.Storage, k.Storage, v.Storage, probs.Storage, output.Storage, ms, maskRows, sc);
        });
        var result = Autograd.Record(output, "attention", [q, k, v], g =>
        {
            if (q.RequiresGrad) q.GradSpan(); // allocated here: the blocks must not race to create them
            if (k.RequiresGrad) k.GradSpan();
            if (v.RequiresGrad) v.GradSpan();
            // blocks that share a key/value head accumulate into the same dk, dv: one thread takes a whole group
            RowParallel.For(b * kvHeads, 4L * t * s * d * (heads / kvHeads), (lo, hi) =>
            {
                var dp = StoragePool.Rent(t * s); // every block overwrites it (beta = 0) before reading
                for (int group = lo; group < hi; group++)
                    for (int r = 0; r < heads / kvHeads; r++)
                    {
                        int bi = group / kvHeads, h = group % kvHeads * (heads / kvHeads) + r;
                        AttentionBackwardBlock(dims, bi * heads + h, q, k, v, probs.Storage, g.Storage, dp, sc);
                    }
                StoragePool.Return(dp);
            });
        });
        return (result, returnProbs ? probs : null);
    }

    /// <summary>One (batch, head) block forward: P = softmax(scale·Q·Kᵀ + M) (kept for backward), O = P·V.</summary>
    static void AttentionForwardBlock(in AttentionDims x, int bh, float[] q, float[] k, float[] v, float[] probs, float[] output,
        float[] mask, int[] maskRows, float scale)
    {
        var (qOff, kvOff, pOff) = x.Offsets(bh);
        var p = probs.AsSpan(pOff, x.T * x.S);
        Gemm.Sgemm(false, true, x.T, x.S, x.D, 1f, q.AsSpan(qOff), x.Cq, k.AsSpan(kvOff), x.Ckv, 0f, p, x.S);
        int firstRow = bh * x.T;
        for (int i = 0; i < x.T; i++)
        {
            var row = p.Slice(i * x.S, x.S);
            TensorPrimitives.Multiply(row, scale, row);
            if (mask.Length > 0) TensorPrimitives.Add(row, mask.AsSpan(maskRows[firstRow + i], x.S), row);
            float max = TensorPrimitives.Max(row);
            if (float.IsNegativeInfinity(max)) { row.Clear(); continue; }
            TensorPrimitives.Subtract(row, max, row);
            TensorPrimitives.Exp(row, row);
            TensorPrimitives.Multiply(row, 1f / TensorPrimitives.Sum(row), row);
        }
        Gemm.Sgemm(false, false, x.T, x.D, x.S, 1f, p, x.S, v.AsSpan(kvOff), x.Ckv, 0f, output.AsSpan(qOff), x.Cq);
    }

    /// <summary>
    /// One (batch, head) block backward, accumulating into the inputs' gradients:
    /// dV += Pᵀ·dO; dP = dO·Vᵀ; dS = scale·P ⊙ (dP − rowsum(dP ⊙ P)) (softmax backward); dQ += dS·K; dK += dSᵀ·Q.
    /// <paramref name="dp"/> is T×S scratch.
    /// </summary>
    static void AttentionBackwardBlock(in AttentionDims x, int bh, Tensor q, Tensor k, Tensor v, float[] probs, float[] dOut, float[] dp, float scale)
    {
        var (qOff, kvOff, pOff) = x.Offsets(bh);
        var p = probs.AsSpan(pOff, x.T * x.S);
        var dO = dOut.AsSpan(qOff);
        if (v.RequiresGrad) Gemm.Sgemm(true, false, x.S, x.D, x.T, 1f, p, x.S, dO, x.Cq, 1f, v.Grad!.Storage.AsSpan(kvOff), x.Ckv);
        if (!q.RequiresGrad && !k.RequiresGrad) return;
        Gemm.Sgemm(false, true, x.T, x.S, x.D, 1f, dO, x.Cq, v.Storage.AsSpan(kvOff), x.Ckv, 0f, dp, x.S);
        for (int i = 0; i < x.T; i++)
        {
            var pr = p.Slice(i * x.S, x.S);
            var dr = dp.AsSpan(i * x.S, x.S);
            float dot = TensorPrimitives.Dot(dr, pr);
            TensorPrimitives.Subtract(dr, dot, dr);
            TensorPrimitives.Multiply(dr, pr, dr);
            TensorPrimitives.Multiply(dr, scale, dr);
        }
        if (q.RequiresGrad) Gemm.Sgemm(false, false, x.T, x.D, x.S, 1f, dp, x.S, k.Storage.AsSpan(kvOff), x.Ckv, 1f, q.Grad!.Storage.AsSpan(qOff), x.Cq);
        if (k.RequiresGrad) Gemm.Sgemm(true, false, x.S, x.D, x.T, 1f, dp, x.S, q.Storage.AsSpan(qOff), x.Cq, 1f, k.Grad!.Storage.AsSpan(kvOff), x.Ckv);
    }

    /// <summary>The sizes of a token-major attention call, and where each (batch, head) block starts.</summary>
    readonly record struct AttentionDims(int B, int T, int S, int H, int G, int D)
    {
        /// <summary>Row stride of q and the output (H·D).</summary>
        public int Cq => H * D;

        /// <summary>Row stride of k and v (G·D).</summary>
        public int Ckv => G * D;

        /// <summary>Offsets of block bh = b·H + h in q (and the output), in k and v, and in the probabilities.</summary>
        public (int Q, int Kv, int P) Offsets(int bh)
        {
            int b = bh / H, h = bh % H;
            return (b * T * Cq + h * D, b * S * Ckv + h / (H / G) * D, bh * T * S);
        }

        public static AttentionDims Of(Tensor q, Tensor k, Tensor v, int heads, int kvHeads)
        {
            if (q.Rank != 3 || k.Rank != 3 || v.Rank != 3)
                throw new ArgumentException($"attention expects token-major q (B, T, H·D), k and v (B, S, G·D); got {q.Describe()}, {k.Describe()}, {v.Describe()}");
            if (heads < 1 || kvHeads < 1 || heads % kvHeads != 0 || q.Shape[2] % heads != 0)
                throw new ArgumentException($"attention: {heads} query heads and {kvHeads} key/value heads do not split q {q.Describe()} (H a multiple of G, H dividing its width)");
            int b = q.Shape[0], t = q.Shape[1], d = q.Shape[2] / heads, s = k.Shape[1];
            if (k.Shape[0] != b || v.Shape[0] != b || v.Shape[1] != s || k.Shape[2] != kvHeads * d || v.Shape[2] != kvHeads * d)
                throw new ArgumentException($"attention shapes do not fit: q {ShapeUtil.Format(q.Shape)} ({heads} heads of {d}), k {ShapeUtil.Format(k.Shape)}, v {ShapeUtil.Format(v.Shape)} (expected ({b}, S, {kvHeads * d}))");
            return new AttentionDims(b, t, s, heads, kvHeads, d);
        }
    }
}
