namespace DiffPrune.Models.Vlm;

/// <summary>
/// LLaVA-NeXT's AnyRes arithmetic (llava-hf <c>select_best_resolution</c>, <c>get_patch_output_size</c>,
/// <c>unpad_image</c> and the processor's image-token count), on sizes alone. Sizes are (height, width) throughout,
/// as the pinpoints of a llava-hf config.json are.
/// </summary>
public static class AnyResGeometry
{
    /// <summary>
    /// The pinpoint an image of <paramref name="height"/>×<paramref name="width"/> is resized into: the one that keeps the
    /// most of its pixels (the effective resolution min(⌊w·s⌋·⌊h·s⌋, w·h) at the scale s that fits it inside), and among
    /// equals the one that wastes the least area; the first listed wins a full tie.
    /// </summary>
    /// <exception cref="ArgumentException">No pinpoints, or a size below 1.</exception>
    public static (int Height, int Width) SelectBestResolution(int height, int width, IReadOnlyList<(int Height, int Width)> pinpoints)
    {
        CheckSize(height, width, "image");
        if (pinpoints.Count == 0) throw new ArgumentException("image_grid_pinpoints is empty: give at least one (height, width)");
        (int Height, int Width) best = default;
        long bestEffective = 0, bestWasted = long.MaxValue;
        foreach (var (h, w) in pinpoints)
        {
            CheckSize(h, w, "pinpoint");
            double scale = Math.Min((double)w / width, (double)h / height);
            long effective = Math.Min((long)(width * scale) * (long)(height * scale), (long)width * height);
            long wasted = (long)w * h - effective;
            if (effective > bestEffective || (effective == bestEffective && wasted < bestWasted))
            {
                bestEffective = effective;
                bestWasted = wasted;
                best = (h, w);
            }
        }
        return best;
    }

    /// <summary>
    /// The size an image of <paramref name="height"/>×<paramref name="width"/> takes inside a <paramref name="target"/>
    /// canvas, aspect kept: the side with the smaller scale fills the canvas, the other is ⌈side·scale⌉ (at most the canvas).
    /// </summary>
    public static (int Height, int Width) FitInside(int height, int width, (int Height, int Width) target)
    {
        CheckSize(height, width, "image");
        double scaleW = (double)target.Width / width, scaleH = (double)target.Height / height;
        return scaleW < scaleH
            ? (Math.Min((int)Math.Ceiling(height * scaleW), target.Height), target.Width)
            : (target.Height, Math.Min((int)Math.Ceiling(width * scaleH), target.Width));
    }

    /// <summary>
    /// The rows and columns of a <paramref name="rows"/>×<paramref name="columns"/> feature grid that hold the image (of
    /// original size <paramref name="height"/>×<paramref name="width"/>) rather than padding: the same number is cut from
    /// both ends of the padded axis, ⌊(current − ⌊original·scale⌉) / 2⌋ each, where the scaled side is rounded to 7
    /// decimals before the floor (llava-hf's <c>unpad_image</c>).
    /// </summary>
    public static (int Top, int Rows, int Left, int Columns) Unpad(int height, int width, int rows, int columns)
    {
        CheckSize(height, width, "image");
        CheckSize(rows, columns, "feature grid");
        if ((double)width / height > (double)columns / rows)
        {
            int scaled = FloorRounded(height * ((double)columns / width));
            int pad = (rows - scaled) / 2;
            return (pad, rows - 2 * pad, 0, columns);
        }
        else
        {
            int scaled = FloorRounded(width * ((double)rows / height));
            int pad = (columns - scaled) / 2;
            return (0, rows, pad, columns - 2 * pad);
        }
    }

    /// <summary>
    /// Image tokens LLaVA-NeXT gives an image of <paramref name="height"/>×<paramref name="width"/> (llava-hf's
    /// processor formula): the base view's patches, the unpadded grid's patches and one newline per unpadded row.
    /// </summary>
    public static int TokenCount(int height, int width, IReadOnlyList<(int Height, int Width)> pinpoints, int imageSize, int patchSize)
    {
        var (bestH, bestW) = SelectBestResolution(height, width, pinpoints);
        int patches = imageSize / patchSize;
        var (_, rows, _, columns) = Unpad(height, width, bestH / imageSize * patches, bestW / imageSize * patches);
        return patches * patches + rows * columns + rows;
    }

    // Python's int(round(x, 7)): a product such as 0.9999999999 * n lands on n, not n − 1
    static int FloorRounded(double x) => (int)Math.Floor(Math.Round(x, 7, MidpointRounding.ToEven));

    static void CheckSize(int height, int width, string what)
    {
        if (height < 1 || width < 1) throw new ArgumentException($"{what} size {height}x{width} (height x width) must be at least 1x1");
    }
}
