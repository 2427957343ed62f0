using DiffPrune.Tensors;

namespace DiffPrune.Models.Vision;

/// <summary>
/// The patches of one image (one frame group: temporal grid 1) in Qwen2.5-VL's order. Legend: R × C = patch grid,
/// m = spatial merge size. Input patch i is listed in HF's image-processor order (R/m, C/m, m, m): merged unit by merged
/// unit, row-major over the merged grid, and inside a unit its m × m patches row-major, so each merge group is m² contiguous
/// patches and the merger is a reshape. Output token j is merged unit j, row-major over the (R/m) × (C/m) merged grid.
/// </summary>
/// <param name="Rows">Patch rows R (a multiple of m).</param>
/// <param name="Cols">Patch columns C (a multiple of m).</param>
/// <param name="MergeSize">m.</param>
public sealed record Qwen25PatchGrid(int Rows, int Cols, int MergeSize)
{
    /// <summary>R·C input patches.</summary>
    public int Patches => Rows * Cols;
    /// <summary>Merged rows R/m.</summary>
    public int MergedRows => Rows / MergeSize;
    /// <summary>Merged columns C/m.</summary>
    public int MergedCols => Cols / MergeSize;
    /// <summary>Output tokens (R/m)·(C/m).</summary>
    public int Tokens => MergedRows * MergedCols;

    /// <summary>Row and column in the patch grid of input patch <paramref name="i"/> (HF's rot_pos_emb hpos/wpos ids).</summary>
    public (int Row, int Col) PatchAt(int i)
    {
        int unit = i / (MergeSize * MergeSize), inner = i % (MergeSize * MergeSize);
        return (unit / MergedCols * MergeSize + inner / MergeSize, unit % MergedCols * MergeSize + inner % MergeSize);
    }

    /// <summary>Row and column in the merged grid of output token <paramref name="j"/> (its height and width ids for M-RoPE).</summary>
    public (int Row, int Col) TokenAt(int j) => (j / MergedCols, j % MergedCols);

    /// <summary>
    /// Window of every input patch, numbered from 1 (<see cref="AttentionMask.Segments"/> keeps 0 for "seen by all"):
    /// windows tile the merged grid in squares of <paramref name="unitsPerSide"/> units from the top-left corner, the last
    /// row and column of windows cut short by the image's edge (HF's get_window_index pads, then drops the padding).
    /// </summary>
    public int[] WindowIds(int unitsPerSide)
    {
        int across = (MergedCols + unitsPerSide - 1) / unitsPerSide;
        var ids = new int[Patches];
        for (int i = 0; i < ids.Length; i++)
        {
            var (r, c) = PatchAt(i);
            ids[i] = 1 + r / MergeSize / unitsPerSide * across + c / MergeSize / unitsPerSide;
        }
        return ids;
    }

    /// <summary>
    /// pixels (C, R·p, C·p) → (R·C, C·t·p·p): the patches in this grid's order, each flattened as (channel, frame, y, x) like
    /// the Conv3d weight, the image repeated over the <paramref name="temporalPatchSize"/> frames (HF's image processor after
    /// its resizing and normalisation). No gradient flows to the pixels.
    /// </summary>
    /// <exception cref="ArgumentException">pixels not (channels, Rows·p, Cols·p).</exception>
    public Tensor Patchify(Tensor pixels, int channels, int patchSize, int temporalPatchSize)
    {
        int p = patchSize, h = Rows * p, w = Cols * p;
        if (pixels.Rank != 3 || pixels.Shape[0] != channels || pixels.Shape[1] != h || pixels.Shape[2] != w)
            throw new ArgumentException($"qwen2.5-vl vision: a {Rows} × {Cols} patch grid needs pixels ({channels}, {h}, {w}), got {ShapeUtil.Format(pixels.Shape)}");
        var patches = Tensor.Zeros(Patches, channels * temporalPatchSize * p * p);
        var src = pixels.Data;
        var dst = patches.Data;
        int k = 0;
        for (int i = 0; i < Patches; i++)
        {
            var (r, c) = PatchAt(i);
            for (int ch = 0; ch < channels; ch++)
                for (int frame = 0; frame < temporalPatchSize; frame++)
                    for (int y = 0; y < p; y++, k += p)
                        src.Slice((ch * h + r * p + y) * w + c * p, p).CopyTo(dst.Slice(k, p));
        }
        return patches;
    }
}
