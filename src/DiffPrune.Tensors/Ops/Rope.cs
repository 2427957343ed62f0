using System.Runtime.Intrinsics;

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

    /// <summary>
    /// Multimodal rotary position embedding (Qwen2-VL's and Qwen2.5-VL's M-RoPE) of x (B, H, T, D), rotate-half style:
    /// every token has three position ids, temporal, height and width, and frequency pair i takes its angle from the
    /// plane whose section holds i (<paramref name="sections"/>, in pairs, e.g. [16, 24, 24] for D = 128, summing to
    /// D/2). <paramref name="positions"/> holds the three planes one after another, each per token (T) or per sample
    /// and token (B·T). A text token has equal ids in all three planes and gets ordinary RoPE; an image token keeps
    /// its grid row and column, also after pruning.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes, ids or sections that do not fit (named).</exception>
    public static Tensor MultimodalRope(Tensor x, ReadOnlySpan<int> positions, ReadOnlySpan<int> sections, float theta = 10000f)
    {
        if (x.Rank != 4 || x.Shape[3] % 2 != 0) throw new ArgumentException($"multimodal rope expects (B, H, T, D) with even D, got {x.Describe()}");
        return MultimodalRope(x, positions, sections, theta, tokenMajor: false);
    }

    /// <summary>
    /// <see cref="MultimodalRope(Tensor, ReadOnlySpan{int}, ReadOnlySpan{int}, float)"/> on token-major x (B, T, H, D), the
    /// layout the projections write and <see cref="Attention"/> reads: the same rotation without transposing the heads out.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes, ids or sections that do not fit (named).</exception>
    public static Tensor MultimodalRopeTokenMajor(Tensor x, ReadOnlySpan<int> positions, ReadOnlySpan<int> sections, float theta = 10000f)
    {
        if (x.Rank != 4 || x.Shape[3] % 2 != 0) throw new ArgumentException($"multimodal rope expects token-major (B, T, H, D) with even D, got {x.Describe()}");
        return MultimodalRope(x, positions, sections, theta, tokenMajor: true);
    }

    /// <summary>
    /// Two-dimensional rotary embedding of a vision transformer (Qwen2-VL's and Qwen2.5-VL's VisionRotaryEmbedding with
    /// apply_rotary_pos_emb_vision) on token-major x (B, T, H, D), rotate-half style: token t sits at row
    /// <paramref name="rows"/>[t] and column <paramref name="cols"/>[t] of the patch grid (shared by the batch); frequency
    /// pairs i &lt; D/4 turn by the row, pairs D/4 + i by the column, both at θ^(−4i/D) (HF builds the table for dim D/2,
    /// once for rows and once for columns, and concatenates).
    /// </summary>
    /// <exception cref="ArgumentException">x not token-major with D a multiple of 4, or ids not one per token (named).</exception>
    public static Tensor Rope2DTokenMajor(Tensor x, ReadOnlySpan<int> rows, ReadOnlySpan<int> cols, float theta = 10000f)
    {
        if (x.Rank != 4 || x.Shape[3] % 4 != 0) throw new ArgumentException($"2-d rope expects token-major (B, T, H, D) with D a multiple of 4, got {x.Describe()}");
        int b = x.Shape[0], t = x.Shape[1], h = x.Shape[2], d = x.Shape[3];
        if (rows.Length != t || cols.Length != t)
            throw new ArgumentException($"2-d rope: {rows.Length} row ids and {cols.Length} column ids for {t} tokens (give one of each per token)");
        var (cos, sin) = GridRotationTables(rows, cols, theta, d);
        return Rotated(x, cos, sin, new RopeLayout(b, h, t, d, PerSample: false, TokenMajor: true), RopeStyle.Half, "rope_2d");
    }

    /// <summary>As <see cref="RotationTables"/>, the first D/4 pairs at the row, the last D/4 at the column, each half with frequencies θ^(−4i/D).</summary>
    static (float[] Cos, float[] Sin) GridRotationTables(ReadOnlySpan<int> rows, ReadOnlySpan<int> cols, float theta, int d)
    {
        int half = d / 2, quarter = d / 4;
        var cos = TensorScope.Rent(rows.Length * half, zeroed: false);
        var sin = TensorScope.Rent(rows.Length * half, zeroed: false);
        for (int p = 0; p < rows.Length; p++)
            for (int i = 0; i < half; i++)
            {
                float angle = (i < quarter ? rows[p] : cols[p]) * (1f / MathF.Pow(theta, 4f * (i % quarter) / d));
                cos[p * half + i] = MathF.Cos(angle);
                sin[p * half + i] = MathF.Sin(angle);
            }
        return (cos, sin);
    }

    static Tensor MultimodalRope(Tensor x, ReadOnlySpan<int> positions, ReadOnlySpan<int> sections, float theta, bool tokenMajor)
    {
        int b = x.Shape[0], h = x.Shape[tokenMajor ? 2 : 1], t = x.Shape[tokenMajor ? 1 : 2], d = x.Shape[3];
        if (sections.Length != 3 || sections[0] < 0 || sections[1] < 0 || sections[2] < 0 || sections[0] + sections[1] + sections[2] != d / 2)
            throw new ArgumentException($"multimodal rope: sections [{string.Join(", ", sections.ToArray())}] must be three counts of frequency pairs summing to D/2 = {d / 2}");
        if (positions.Length != 3 * t && positions.Length != 3 * b * t)
            throw new ArgumentException($"multimodal rope: {positions.Length} position ids for 3 planes of batch {b} × {t} tokens (give {3 * t} or {3 * b * t})");
        int plane = positions.Length / 3;
        bool perSample = plane == b * t && b > 1;
        int distinct = perSample ? b * t : t;
        var (cos, sin) = MultimodalRotationTables(positions, plane, distinct, sections, theta, d);
        return Rotated(x, cos, sin, new RopeLayout(b, h, t, d, perSample, tokenMajor), RopeStyle.Half, "multimodal_rope");
    }

    /// <summary>As <see cref="RotationTables"/>, with pair i's angle from the position plane whose section holds i.</summary>
    static (float[] Cos, float[] Sin) MultimodalRotationTables(ReadOnlySpan<int> positions, int plane, int tokens, ReadOnlySpan<int> sections, float theta, int d)
    {
        int half = d / 2;
        var source = new int[half];
        for (int i = 0, s = 0, end = sections[0]; i < half; i++)
        {
            while (i >= end) end += sections[++s];
            source[i] = s;
        }
        var cos = TensorScope.Rent(tokens * half, zeroed: false);
        var sin = TensorScope.Rent(tokens * half, zeroed: false);
        for (int p = 0; p < tokens; p++)
            for (int i = 0; i < half; i++)
            {
                float angle = positions[source[i] * plane + p] * (1f / MathF.Pow(theta, 2f * i / d));
                cos[p * half + i] = MathF.Cos(angle);
                sin[p * half + i] = MathF.Sin(angle);
            }
        return (cos, sin);
    }

    static Tensor Rope(Tensor x, ReadOnlySpan<int> positions, float theta, RopeStyle style, bool tokenMajor)
    {
        int b = x.Shape[0], h = x.Shape[tokenMajor ? 2 : 1], t = x.Shape[tokenMajor ? 1 : 2], d = x.Shape[3];
        if (positions.Length != t && positions.Length != b * t)
            throw new ArgumentException($"rope: {positions.Length} position ids for batch {b} × {t} tokens (give {t} or {b * t})");
        bool perSample = positions.Length == b * t && b > 1;
        int distinct = perSample ? b * t : t;
        var (cos, sin) = RotationTables(positions[..distinct], theta, d);
        return Rotated(x, cos, sin, new RopeLayout(b, h, t, d, perSample, tokenMajor), style, "rope");
    }

    /// <summary>x rotated by the angles of <paramref name="cos"/> and <paramref name="sin"/> (one row of D/2 per distinct token), with its backward.</summary>
    static Tensor Rotated(Tensor x, float[] cos, float[] sin, RopeLayout layout, RopeStyle style, string name)
    {
        var y = Tensor.PooledForOverwrite(x.Shape); // every pair of every row is rotated
        Rotate(x.Storage, y.Storage, cos, sin, layout, style, inverse: false);
        return Autograd.Record(y, name, [x], g =>
        {
            // a rotation's transpose is the rotation by −angle
            var back = StoragePool.Rent(g.Numel);
            Rotate(g.Storage, back, cos, sin, layout, style, inverse: true);
            Autograd.Accumulate(x, back.AsSpan(0, g.Numel));
            StoragePool.Return(back);
        });
    }

    /// <summary>
    /// cos and sin of position·θ^(−2i/D) for each of <paramref name="positions"/> (rows of D/2). Positions repeat
    /// (every sample of a batch, every layer's call), so each distinct value's angles are computed once and copied.
    /// </summary>
    static (float[] Cos, float[] Sin) RotationTables(ReadOnlySpan<int> positions, float theta, int d)
    {
        int half = d / 2;
        var freq = new float[half];
        for (int i = 0; i < half; i++) freq[i] = 1f / MathF.Pow(theta, 2f * i / d);
        var cos = TensorScope.Rent(positions.Length * half, zeroed: false);
        var sin = TensorScope.Rent(positions.Length * half, zeroed: false);
        var first = new Dictionary<int, int>();
        for (int p = 0; p < positions.Length; p++)
        {
            if (first.TryGetValue(positions[p], out int q))
            {
                Array.Copy(cos, q * half, cos, p * half, half);
                Array.Copy(sin, q * half, sin, p * half, half);
                continue;
            }
            first[positions[p]] = p;
            for (int i = 0; i < half; i++)
            {
                float angle = positions[p] * freq[i];
                cos[p * half + i] = MathF.Cos(angle);
                sin[p * half + i] = MathF.Sin(angle);
            }
        }
        return (cos, sin);
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
    internal static void RotateRow(float[] src, float[] dst, float[] cos, float[] sin, int offset, int p, int d, RopeStyle style, bool inverse)
    {
        int half = d / 2, start = 0;
        if (style == RopeStyle.Half && Vector256.IsHardwareAccelerated)
            // the two halves are contiguous: eight pairs at a time, the same products and sums as the scalar loop below
            for (; start <= half - 8; start += 8)
            {
                var c = Vector256.LoadUnsafe(ref cos[p + start]);
                var s = Vector256.LoadUnsafe(ref sin[p + start]);
                if (inverse) s = -s;
                var x0 = Vector256.LoadUnsafe(ref src[offset + start]);
                var x1 = Vector256.LoadUnsafe(ref src[offset + start + half]);
                (x0 * c - x1 * s).StoreUnsafe(ref dst[offset + start]);
                (x0 * s + x1 * c).StoreUnsafe(ref dst[offset + start + half]);
            }
        RotatePairs(src, dst, cos, sin, offset, p, d, style, inverse, start);
    }

    /// <summary>Reference of <see cref="RotateRow"/>: every pair through the scalar loop.</summary>
    internal static void RotateRowReference(float[] src, float[] dst, float[] cos, float[] sin, int offset, int p, int d, RopeStyle style, bool inverse) =>
        RotatePairs(src, dst, cos, sin, offset, p, d, style, inverse, 0);

    /// <summary>Pairs <paramref name="start"/>..D/2−1 of one row, one at a time.</summary>
    static void RotatePairs(float[] src, float[] dst, float[] cos, float[] sin, int offset, int p, int d, RopeStyle style, bool inverse, int start)
    {
        int half = d / 2;
        for (int i = start; i < half; i++)
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
