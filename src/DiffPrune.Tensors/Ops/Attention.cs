namespace DiffPrune.Tensors;

public static partial class F
{
    /// <summary>
    /// softmax(q·kᵀ·scale + mask)·v, with q (B, H, T, D), k (B, Hkv, S, D), v (B, Hkv, S, Dv); H must be a
    /// multiple of Hkv (grouped-query attention shares each key/value head among H/Hkv query heads).
    /// scale defaults to 1/√D. A query row whose keys are all masked gets a zero output.
    /// With <paramref name="returnProbs"/> the attention probabilities (B, H, T, S) come back too.
    /// <paramref name="keyWeights"/> (B, S), when given, reweights the keys differentiably (DynamicViT's attention
    /// policy): p_ij = w_j·e^{a_ij} / Σ_l w_l·e^{a_il}. With weights in {0, 1} the output equals attention over the
    /// weight-1 keys alone, yet gradients reach every weight, zero ones included. Each query must keep at least one
    /// allowed key of positive weight.
    /// </summary>
    public static (Tensor Output, Tensor? Probs) ScaledDotProductAttention(Tensor q, Tensor k, Tensor v,
        AttentionMask? mask = null, float? scale = null, bool returnProbs = false, Tensor? keyWeights = null)
    {
        if (q.Rank != 4 || k.Rank != 4 || v.Rank != 4)
            throw new ArgumentException($"attention expects 4-d q, k, v (B, H, T, D); got {q.Describe()}, {k.Describe()}, {v.Describe()}");
        int b = q.Shape[0], h = q.Shape[1], t = q.Shape[2], d = q.Shape[3];
        int hkv = k.Shape[1], s = k.Shape[2];
        if (k.Shape[0] != b || v.Shape[0] != b || k.Shape[3] != d || v.Shape[1] != hkv || v.Shape[2] != s || h % hkv != 0)
            throw new ArgumentException($"attention shapes do not fit: q {ShapeUtil.Format(q.Shape)}, k {ShapeUtil.Format(k.Shape)}, v {ShapeUtil.Format(v.Shape)}");
        k = RepeatKv(k, h / hkv);
        v = RepeatKv(v, h / hkv);
        var probs = q.Matmul(k, transB: true).MaskedSoftmaxInPlace(mask?.ToAdditive(b, h, t, s), scale ?? 1f / MathF.Sqrt(d));
        if (keyWeights != null)
        {
            if (keyWeights.Rank != 2 || keyWeights.Shape[0] != b || keyWeights.Shape[1] != s)
                throw new ArgumentException($"attention key weights {keyWeights.Describe()} must be (batch {b}, keys {s})");
            var weighted = probs.Mul(keyWeights.Reshape(b, 1, 1, s));
            probs = weighted.Div(weighted.Sum(-1, keepDim: true));  // softmax restricted to (and weighted by) w
        }
        var output = probs.Matmul(v);
        return (output, returnProbs ? probs : null);
    }

    /// <summary>(B, Hkv, S, D) → (B, Hkv·rep, S, D), each key/value head repeated <paramref name="rep"/> times in place.</summary>
    public static Tensor RepeatKv(Tensor x, int rep)
    {
        if (rep == 1) return x;
        int b = x.Shape[0], hkv = x.Shape[1], s = x.Shape[2], d = x.Shape[3];
        return x.Reshape(b, hkv, 1, s, d).Expand(b, hkv, rep, s, d).Reshape(b, hkv * rep, s, d);
    }
}
