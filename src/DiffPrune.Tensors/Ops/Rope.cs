namespace DiffPrune.Tensors;

/// <summary>How RoPE pairs the channels of a head.</summary>
public enum RopeStyle
{
    /// <summary>Adjacent pairs (0,1), (2,3), … (llama2.c, Meta's original LLaMA).</summary>
    Interleaved,
    /// <summary>Pairs (i, i + D/2) (Hugging Face's <c>rotate_half</c>).</summary>
    Half,
}

public static partial class F
{
    /// <summary>
    /// Rotary position embedding of x (B, H, T, D) at explicit position ids: one per token (length T, shared by
    /// the batch) or per sample and token (length B·T). Frequencies θ^(−2i/D). Position ids need not be
    /// contiguous (pruned tokens keep theirs).
    /// </summary>
    public static Tensor Rope(Tensor x, ReadOnlySpan<int> positions, float theta = 10000f, RopeStyle style = RopeStyle.Interleaved)
    {
        if (x.Rank != 4 || x.Shape[3] % 2 != 0) throw new ArgumentException($"rope expects (B, H, T, D) with even D, got {x.Describe()}");
        return Rope(x, positions, theta, style, tokenMajor: false);
    }

    /// <summary>
    /// <see cref="Rope(Tensor, ReadOnlySpan{int}, float, RopeStyle)"/> on token-major x (B, T, H, D), the layout the
    /// projections write and <see cref="Attention"/> reads: the same rotation without transposing the heads out.
    /// </summary>
    public static Tensor RopeTokenMajor(Tensor x, ReadOnlySpan<int> positions, float theta = 10000f, RopeStyle style = RopeStyle.Interleaved)
    {
        if (x.Rank != 4 || x.Shape[3] % 2 != 0) throw new ArgumentException($"rope expects token-major (B, T, H, D) with even D, got {x.Describe()}");
        return Rope(x, positions, theta, style, tokenMajor: true);
    }

    static Tensor Rope(Tensor x, ReadOnlySpan<int> positions, float theta, RopeStyle style, bool tokenMajor)
    {
        int b = x.Shape[0], h = x.Shape[tokenMajor ? 2 : 1], t = x.Shape[tokenMajor ? 1 : 2], d = x.Shape[3], half = d / 2;
        if (positions.Length != t && positions.Length != b * t)
            throw new ArgumentException($"rope: {positions.Length} position ids for batch {b} × {t} tokens (give {t} or {b * t})");
        bool perSample = positions.Length == b * t && b > 1;
        int distinct = perSample ? b * t : t;
        var cos = TensorScope.Rent(distinct * half, zeroed: false);
        var sin = TensorScope.Rent(distinct * half, zeroed: false);
        for (int p = 0; p < distinct; p++)
            for (int i = 0; i < half; i++)
            {
                float freq = 1f / MathF.Pow(theta, 2f * i / d);
                float angle = positions[p] * freq;
                cos[p * half + i] = MathF.Cos(angle);
                sin[p * half + i] = MathF.Sin(angle);
            }
        var y = Tensor.PooledForOverwrite(x.Shape); // every pair of every row is rotated
        var layout = new RopeLayout(b, h, t, d, perSample, tokenMajor);
        Rotate(x.Storage, y.Storage, cos, sin, layout, style, inverse: false);
        return Autograd.Record(y, "rope", [x], g =>
        {
            // a rotation's transpose is the rotation by −angle
            var back = StoragePool.Rent(g.Numel);
            Rotate(g.Storage, back, cos, sin, layout, style, inverse: true);
            Autograd.Accumulate(x, back.AsSpan(0, g.Numel));
            StoragePool.Return(back);
        });
    }

    /// <summary>Sizes and layout of a RoPE call: (B, H, T, D), or token-major (B, T, H, D).</summary>
    readonly record struct RopeLayout(int B, int H, int T, int D, bool PerSample, bool TokenMajor)
    {
        /// <summary>Rows of D channels.</summary>
        public int Rows => B * H * T;

        /// <summary>The batch and token of row <paramref name="row"/>.</summary>
        public (int Batch, int Token) Of(int row) => TokenMajor ? (row / (T * H), row / H % T) : (row / (H * T), row % T);
    }

    static void Rotate(float[] src, float[] dst, float[] cos, float[] sin, RopeLayout layout, RopeStyle style, bool inverse)
    {
        RowParallel.For(layout.Rows, 3L * layout.D, (lo, end) =>
        {
            for (int row = lo; row < end; row++)
            {
                var (bi, ti) = layout.Of(row);
                int p = (layout.PerSample ? bi * layout.T + ti : ti) * (layout.D / 2);
                RotateRow(src, dst, cos, sin, row * layout.D, p, layout.D, style, inverse);
            }
        });
    }

    /// <summary>One row of <paramref name="d"/> channels at <paramref name="offset"/>, rotated by the angles at <paramref name="p"/>.</summary>
    static void RotateRow(float[] src, float[] dst, float[] cos, float[] sin, int offset, int p, int d, RopeStyle style, bool inverse)
    {
        int half = d / 2;
        for (int i = 0; i < half; i++)
        {
            int i0 = style == RopeStyle.Interleaved ? offset + 2 * i : offset + i;
            int i1 = style == RopeStyle.Interleaved ? i0 + 1 : i0 + half;
            float c = cos[p + i], s = inverse ? -sin[p + i] : sin[p + i];
            float x0 = src[i0], x1 = src[i1];
            dst[i0] = x0 * c - x1 * s;
            dst[i1] = x0 * s + x1 * c;
        }
    }
}
