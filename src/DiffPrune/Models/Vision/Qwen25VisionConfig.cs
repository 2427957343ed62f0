using DiffPrune.Tensors.Nn;

namespace DiffPrune.Models.Vision;

/// <summary>
/// Shape of Qwen2.5-VL's vision tower (HF <c>vision_config</c>; each property names its key). Defaults are
/// Qwen2.5-VL-7B-Instruct's, so that an unset field describes the published model rather than a toy.
/// </summary>
public sealed record Qwen25VisionConfig
{
    /// <summary>Blocks (<c>depth</c>).</summary>
    public int Depth { get; init; } = 32;
    /// <summary>Width of the blocks (<c>hidden_size</c>).</summary>
    public int HiddenSize { get; init; } = 1280;
    /// <summary>SwiGLU width (<c>intermediate_size</c>).</summary>
    public int IntermediateSize { get; init; } = 3420;
    /// <summary>Attention heads (<c>num_heads</c>); the head dim must be a multiple of 4 for the 2-D rotary embedding.</summary>
    public int NumHeads { get; init; } = 16;
    /// <summary>Image channels (<c>in_chans</c>).</summary>
    public int InChannels { get; init; } = 3;
    /// <summary>Width of the merged tokens, the language model's hidden size (<c>out_hidden_size</c>).</summary>
    public int OutHiddenSize { get; init; } = 3584;
    /// <summary>Patch side in pixels (<c>patch_size</c>).</summary>
    public int PatchSize { get; init; } = 14;
    /// <summary>Side of the square of patches merged into one token (<c>spatial_merge_size</c>).</summary>
    public int SpatialMergeSize { get; init; } = 2;
    /// <summary>Frames per patch (<c>temporal_patch_size</c>); an image is repeated over them.</summary>
    public int TemporalPatchSize { get; init; } = 2;
    /// <summary>Side of an attention window in pixels (<c>window_size</c>); a multiple of patch_size · spatial_merge_size.</summary>
    public int WindowSize { get; init; } = 112;
    /// <summary>Blocks that attend over the whole image (<c>fullatt_block_indexes</c>); every other block attends within its window.</summary>
    public IReadOnlyList<int> FullAttentionBlocks { get; init; } = [7, 15, 23, 31];
    /// <summary>MLP activation (<c>hidden_act</c>).</summary>
    public Activation HiddenAct { get; init; } = Activation.Silu;

    /// <summary>Epsilon of every RMSNorm (HF hard-codes 1e-6 in the vision tower; it is no config key).</summary>
    public const float RmsNormEps = 1e-6f;
    /// <summary>Base of the 2-D rotary embedding (HF's VisionRotaryEmbedding default; no config key).</summary>
    public const float RopeTheta = 10000f;

    /// <summary>Channels per head.</summary>
    public int HeadDim => HiddenSize / NumHeads;
    /// <summary>Patches merged into one output token.</summary>
    public int MergeUnit => SpatialMergeSize * SpatialMergeSize;
    /// <summary>Window side in merged units (HF's vit_merger_window_size: 112 / 14 / 2 = 4).</summary>
    public int WindowMergedUnits => WindowSize / PatchSize / SpatialMergeSize;
    /// <summary>Length of one flattened input patch, (in_chans, temporal_patch_size, patch, patch).</summary>
    public int PatchVectorSize => InChannels * TemporalPatchSize * PatchSize * PatchSize;

    /// <summary>Parameters without allocating weights: patch embedding (no bias), blocks (RMSNorms; biased qkv, proj and
    /// SwiGLU), merger (ln_q, mlp.0 u·d → u·d, mlp.2 u·d → E, both biased).</summary>
    /// <exception cref="OverflowException">The shape is too large to count in 64 bits (a crafted config).</exception>
    public long ParameterCount()
    {
        checked
        {
            long d = HiddenSize, inter = IntermediateSize, unit = (long)MergeUnit * HiddenSize;
            long block = 2 * d + (3 * d * d + 3 * d) + (d * d + d) + 2 * (d * inter + inter) + (inter * d + d);
            long merger = d + (unit * unit + unit) + (unit * OutHiddenSize + OutHiddenSize);
            return d * PatchVectorSize + Depth * block + merger;
        }
    }

    /// <summary>Throws when inconsistent, naming the key at fault.</summary>
    /// <exception cref="ArgumentException">A size that is not positive, a head dim the rotary embedding cannot split, a window
    /// that is no whole number of merged units, or a full-attention block index outside 0..depth−1 or repeated.</exception>
    public Qwen25VisionConfig Validate()
    {
        if (Depth < 1 || HiddenSize < 1 || IntermediateSize < 1 || NumHeads < 1 || InChannels < 1 || OutHiddenSize < 1
            || PatchSize < 1 || SpatialMergeSize < 1 || TemporalPatchSize < 1)
            throw new ArgumentException("qwen2.5-vl vision config: depth, hidden_size, intermediate_size, num_heads, in_chans, out_hidden_size, patch_size, spatial_merge_size and temporal_patch_size must be positive");
        if (HiddenSize % NumHeads != 0 || HeadDim % 4 != 0)
            throw new ArgumentException($"qwen2.5-vl vision config: hidden_size {HiddenSize} / num_heads {NumHeads} must be a whole head dim divisible by 4 (the 2-D rotary embedding splits it into row and column halves of pairs)");
        if (WindowSize < 1 || WindowSize % (PatchSize * SpatialMergeSize) != 0)
            throw new ArgumentException($"qwen2.5-vl vision config: window_size {WindowSize} must be a positive multiple of patch_size {PatchSize} × spatial_merge_size {SpatialMergeSize}");
        if (FullAttentionBlocks.FirstOrDefault(i => i < 0 || i >= Depth, -1) is var bad and not -1)
            throw new ArgumentException($"qwen2.5-vl vision config: fullatt_block_indexes holds {bad}, outside the blocks 0..{Depth - 1} (depth {Depth})");
        if (FullAttentionBlocks.Distinct().Count() != FullAttentionBlocks.Count)
            throw new ArgumentException($"qwen2.5-vl vision config: fullatt_block_indexes [{string.Join(", ", FullAttentionBlocks)}] repeats a block");
        return this;
    }

    /// <summary>
    /// FLOPs (multiply-adds × 2, bias additions 1 each) of encoding one image of <paramref name="grid"/>'s T = R·C patches
    /// through the first <paramref name="blocks"/> blocks (default all) and the merger. Patch embedding 2·T·P·d; per block
    /// qkv and proj 2·T·4d² + T·4d, SwiGLU with biases 2·T·3·d·I + T·(2I + d), attention scores and weighted sum 2·2·n²·d
    /// summed over what a query sees: the whole image (n = T) in <see cref="FullAttentionBlocks"/>, else each window's
    /// own n patches, as HF computes it window by window (our <see cref="Qwen25VisionModel"/> computes all T² scores
    /// under a block-diagonal mask in every block, so its windowed blocks do more work than counted here); merger
    /// 2·(T/u)·(ud·ud + ud·E) + (T/u)·(ud + E). Norms, the rotary embedding and activations are left out.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">More blocks than the tower has.</exception>
    public double Flops(Qwen25PatchGrid grid, int? blocks = null)
    {
        int built = blocks ?? Depth;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(built, Depth);
        double t = grid.Patches, d = HiddenSize, ff = IntermediateSize, unit = MergeUnit * d, merged = grid.Tokens;
        double windowed = 2 * 2 * d * grid.WindowIds(WindowMergedUnits).CountBy(id => id).Sum(w => (double)w.Value * w.Value);
        double full = 2 * 2 * t * t * d;
        double perBlock = 2 * t * 4 * d * d + t * 4 * d + 2 * t * 3 * d * ff + t * (2 * ff + d);
        double attention = Enumerable.Range(0, built).Sum(b => FullAttentionBlocks.Contains(b) ? full : windowed);
        double merger = 2 * merged * (unit * unit + unit * OutHiddenSize) + merged * (unit + OutHiddenSize);
        return 2 * t * PatchVectorSize * d + built * perBlock + attention + merger;
    }

    /// <summary>The patch grid of one image of <paramref name="rows"/> × <paramref name="cols"/> patches.</summary>
    /// <exception cref="ArgumentException">A side that is not a positive multiple of spatial_merge_size.</exception>
    public Qwen25PatchGrid Grid(int rows, int cols)
    {
        int m = SpatialMergeSize;
        if (rows < 1 || cols < 1 || rows % m != 0 || cols % m != 0)
            throw new ArgumentException($"qwen2.5-vl vision: a grid of {rows} × {cols} patches cannot be merged; both sides must be positive multiples of spatial_merge_size {m}");
        return new Qwen25PatchGrid(rows, cols, m);
    }
}
