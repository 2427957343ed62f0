using DiffPrune.Models.Llama;

namespace DiffPrune.Models.Vlm;

/// <summary>
/// M-RoPE position ids of a Qwen2.5-VL prompt with one image, as HF's <c>get_rope_index</c> lays them out: text tokens count
/// up with equal ids in all three planes; the image's tokens, starting at text position s, take temporal id s (one frame),
/// height id s + merged row and width id s + merged column; the text after the image goes on from one past the largest id
/// of any plane, s + max(rows, cols), in all planes.
/// </summary>
public static class Qwen25RopeIndex
{
    /// <summary>
    /// Ids of <paramref name="textBefore"/> text tokens, a <paramref name="rows"/> × <paramref name="cols"/> merged grid of
    /// image tokens (row-major, as <see cref="Vision.Qwen25VisionModel"/> emits them) and <paramref name="textAfter"/> text
    /// tokens: three planes one after another, temporal, height, width (<see cref="PositionPlanes"/> of one sample).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative count, or an empty image.</exception>
    public static int[] ForImage(int textBefore, int rows, int cols, int textAfter)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(textBefore);
        ArgumentOutOfRangeException.ThrowIfNegative(textAfter);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cols, 1);
        int tokens = textBefore + rows * cols + textAfter, s = textBefore, resume = s + Math.Max(rows, cols);
        var ids = new int[PositionPlanes.Multimodal * tokens];
        for (int plane = 0; plane < PositionPlanes.Multimodal; plane++)
        {
            var row = ids.AsSpan(plane * tokens, tokens);
            for (int j = 0; j < textBefore; j++) row[j] = j;
            for (int k = 0; k < rows * cols; k++) row[s + k] = s + plane switch { 0 => 0, 1 => k / cols, _ => k % cols };
            for (int j = 0; j < textAfter; j++) row[s + rows * cols + j] = resume + j;
        }
        return ids;
    }
}
