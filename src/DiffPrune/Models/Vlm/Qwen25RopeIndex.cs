using DiffPrune.Models.Llama;

namespace DiffPrune.Models.Vlm;

/// <summary>
/// M-RoPE position ids of a Qwen2.5-VL prompt with one image, as HF's <c>get_rope_index</c> lays them out: text tokens count
/// up with equal ids in all three planes; the image's tokens, starting at text position s, take temporal id s (one frame),
/// height id s + merged row and width id s + merged column; the text after the image goes on from one past the largest id
/// of any plane, s + max(rows, cols), in all planes. A pruned image keeps each kept token's ids and the text after it
/// keeps its own, as if every token were there.
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
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cols, 1);
        return ForImage(textBefore, rows, cols, textAfter, Enumerable.Range(0, rows * cols).ToArray());
    }

    /// <summary>
    /// As <see cref="ForImage(int, int, int, int)"/> with only the image tokens <paramref name="kept"/> (ascending indices
    /// into the row-major merged grid) present: each keeps its ids, and the text after the image keeps the ids it has
    /// with the whole image, s + max(rows, cols) onward.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative count, or an empty image.</exception>
    /// <exception cref="ArgumentException"><paramref name="kept"/> is not ascending inside the grid.</exception>
    public static int[] ForImage(int textBefore, int rows, int cols, int textAfter, int[] kept)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(textBefore);
        ArgumentOutOfRangeException.ThrowIfNegative(textAfter);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cols, 1);
        for (int j = 0; j < kept.Length; j++)
            if (kept[j] < 0 || kept[j] >= rows * cols || (j > 0 && kept[j] <= kept[j - 1]))
                throw new ArgumentException($"kept image tokens must be ascending indices in 0..{rows * cols - 1} of the {rows} × {cols} merged grid");
        int tokens = textBefore + kept.Length + textAfter, s = textBefore, resume = s + Math.Max(rows, cols);
        var ids = new int[PositionPlanes.Multimodal * tokens];
        for (int plane = 0; plane < PositionPlanes.Multimodal; plane++)
        {
            var row = ids.AsSpan(plane * tokens, tokens);
            for (int j = 0; j < textBefore; j++) row[j] = j;
            for (int k = 0; k < kept.Length; k++) row[s + k] = s + plane switch { 0 => 0, 1 => kept[k] / cols, _ => kept[k] % cols };
            for (int j = 0; j < textAfter; j++) row[s + kept.Length + j] = resume + j;
        }
        return ids;
    }
}
