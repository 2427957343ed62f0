namespace DiffPrune.Tensors;

/// <summary>
/// Which keys each query may attend to. Masks combine with <see cref="And"/>; internally each becomes an
/// additive tensor (0 = allowed, −inf = blocked) broadcastable to (batch, heads, queries, keys).
/// </summary>
public abstract class AttentionMask
{
    /// <summary>Additive form for the given sizes; shape broadcastable to (batch, heads, t, s).</summary>
    internal abstract Tensor ToAdditive(int batch, int heads, int t, int s);

    /// <summary>
    /// Causal, aligned bottom-right: query i (of t) sees keys j ≤ i + (s − t), so it also works when s − t keys
    /// come from a KV cache.
    /// </summary>
    public static AttentionMask Causal { get; } = new Lambda((_, _, t, s) =>
    {
        var m = Tensor.Zeros(t, s);
        for (int i = 0; i < t; i++)
            for (int j = i + (s - t) + 1; j < s; j++) m.Storage[i * s + j] = float.NegativeInfinity;
        return m;
    });

    /// <summary>Each query sees only the key at its own index (the diagonal-attention denoiser); needs t = s.</summary>
    public static AttentionMask Identity { get; } = new Lambda((_, _, t, s) =>
    {
        if (t != s) throw new ArgumentException($"identity attention mask needs as many queries as keys ({t} vs {s})");
        var m = Tensor.Full([t, s], float.NegativeInfinity);
        for (int i = 0; i < t; i++) m.Storage[i * s + i] = 0f;
        return m;
    });

    /// <summary>Padding: <paramref name="valid"/>[b·s + j] says whether key j of sample b is real (shape batch × s).</summary>
    public static AttentionMask KeyPadding(bool[] valid, int batch) => new Lambda((b, _, _, s) =>
    {
        if (b != batch || valid.Length != batch * s)
            throw new ArgumentException($"key padding mask is {batch}×{valid.Length / Math.Max(batch, 1)} but attention is {b}×{s}");
        var m = Tensor.Zeros(batch, 1, 1, s);
        for (int i = 0; i < valid.Length; i++) if (!valid[i]) m.Storage[i] = float.NegativeInfinity;
        return m;
    });

    /// <summary>
    /// Packed sequences: <paramref name="segments"/>[b·t + j] is the segment of token j of sample b (shape batch × t,
    /// queries and keys alike). Segment 0 is shared: every token may see it. A token of segment s &gt; 0 is seen only
    /// by tokens of segment s, so several independent continuations of one shared prefix train in one sequence.
    /// Combine with <see cref="Causal"/>.
    /// </summary>
    public static AttentionMask Segments(int[] segments, int batch) => new Lambda((b, _, t, s) =>
    {
        if (b != batch || t != s || segments.Length != batch * t)
            throw new ArgumentException($"segment mask is {batch}×{segments.Length / Math.Max(batch, 1)} but attention is {b}×{t} queries × {s} keys (segments need no KV cache)");
        var m = Tensor.Zeros(batch, 1, t, t);
        for (int i = 0; i < batch; i++)
            for (int q = 0; q < t; q++)
            {
                int sq = segments[i * t + q];
                for (int k = 0; k < t; k++)
                {
                    int sk = segments[i * t + k];
                    if (sk != 0 && sk != sq) m.Storage[(i * t + q) * t + k] = float.NegativeInfinity;
                }
            }
        return m;
    });

    /// <summary>A boolean mask (true = may attend) of a shape broadcastable to (batch, heads, t, s).</summary>
    public static AttentionMask FromBool(bool[] allowed, params int[] shape)
    {
        if (ShapeUtil.Numel(shape) != allowed.Length)
            throw new ArgumentException($"boolean mask has {allowed.Length} entries for shape {ShapeUtil.Format(shape)}");
        var m = Tensor.Zeros(shape);
        for (int i = 0; i < allowed.Length; i++) if (!allowed[i]) m.Storage[i] = float.NegativeInfinity;
        return new Lambda((_, _, _, _) => m);
    }

    /// <summary>A float mask added to the attention scores (use −inf to block).</summary>
    public static AttentionMask Additive(Tensor mask) => new Lambda((_, _, _, _) => mask.Detach());

    /// <summary>Both masks: a key is visible only if both allow it.</summary>
    public AttentionMask And(AttentionMask other) => new Lambda((b, h, t, s) => ToAdditive(b, h, t, s).Add(other.ToAdditive(b, h, t, s)));

    /// <summary>The same mask, its additive form built once per size and reused (one mask shared by every layer of a forward pass).</summary>
    public AttentionMask Cached()
    {
        (int B, int H, int T, int S)? size = null;
        Tensor? built = null;
        return new Lambda((b, h, t, s) =>
        {
            if (built == null || size != (b, h, t, s)) (built, size) = (TensorScope.Disown(ToAdditive(b, h, t, s)), (b, h, t, s));
            return built;
        });
    }

    sealed class Lambda(Func<int, int, int, int, Tensor> make) : AttentionMask
    {
        internal override Tensor ToAdditive(int batch, int heads, int t, int s) => make(batch, heads, t, s);
    }
}
