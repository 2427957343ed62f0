using DiffPrune.Data.Images;
using DiffPrune.Tensors;

namespace DiffPrune.Eval;

/// <summary>
/// Paper Figure 5 as images: which visual tokens a method keeps, drawn over the image (kept patches tinted red,
/// dropped ones blue), and the cosine-similarity matrix of the top-K tokens and the bottom ones ([top ; bottom] ×
/// [top ; bottom], a separator line between the blocks), colour-mapped from −1 (blue) through 0 (white) to 1 (red).
/// </summary>
public static class TokenMap
{
    /// <summary>Tint of kept patches.</summary>
    public static (byte R, byte G, byte B) KeptColor { get; } = (220, 30, 30);

    /// <summary>Tint of dropped patches.</summary>
    public static (byte R, byte G, byte B) DroppedColor { get; } = (30, 70, 230);

    /// <summary>Colour of the line between the matrix's blocks.</summary>
    public static (byte R, byte G, byte B) SeparatorColor { get; } = (0, 0, 0);

    /// <summary>Share of the tint in a tinted pixel.</summary>
    public const double TintStrength = 0.45;

    /// <summary>Width of the separator line in pixels.</summary>
    public const int SeparatorWidth = 2;

    /// <summary>
    /// <paramref name="image"/> (a square of <paramref name="grid"/>×<paramref name="grid"/> patches) scaled up
    /// <paramref name="scale"/> times, each patch blended with <see cref="KeptColor"/> when its raster index is in
    /// <paramref name="kept"/>, else with <see cref="DroppedColor"/>.
    /// </summary>
    /// <exception cref="ArgumentException">An image that is not a square of whole patches, a scale below 1, or a patch index outside 0..N−1.</exception>
    public static RgbImage Overlay(RgbImage image, int grid, IReadOnlyCollection<int> kept, int scale = 4)
    {
        if (grid < 1 || image.Width != image.Height || image.Width % grid != 0)
            throw new ArgumentException($"an overlay needs a square image of {grid}×{grid} whole patches; got {image.Width}x{image.Height}");
        if (scale < 1) throw new ArgumentException($"scale must be at least 1 (got {scale})");
        if (kept.Any(i => i < 0 || i >= grid * grid)) throw new ArgumentException($"kept patch indices must lie in 0..{grid * grid - 1}");
        var keep = kept.ToHashSet();
        int patch = image.Width / grid, side = image.Width * scale;
        var result = RgbImage.Filled(side, side);
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
            {
                int px = x / scale, py = y / scale;
                var tint = keep.Contains(py / patch * grid + px / patch) ? KeptColor : DroppedColor;
                var (r, g, b) = image.GetPixel(px, py);
                result.SetPixel(x, y, Blend(r, tint.R), Blend(g, tint.G), Blend(b, tint.B));
            }
        return result;
    }

    static byte Blend(byte pixel, byte tint) => (byte)Math.Round((1 - TintStrength) * pixel + TintStrength * tint);

    /// <summary>Cosine similarities (m, m) of rows <paramref name="tokens"/> of <paramref name="features"/> (N, d), in that order.</summary>
    /// <exception cref="ArgumentException">Features that are not (N, d), or an index outside 0..N−1.</exception>
    public static double[,] Similarity(Tensor features, IReadOnlyList<int> tokens)
    {
        if (features.Rank != 2) throw new ArgumentException($"similarity needs features (N, d); got {features.Describe()}");
        int n = features.Shape[0], d = features.Shape[1];
        if (tokens.Any(i => i < 0 || i >= n)) throw new ArgumentException($"token indices must lie in 0..{n - 1}");
        var rows = tokens.Select(i => features.Data.Slice(i * d, d).ToArray()).ToArray();
        var matrix = new double[rows.Length, rows.Length];
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < rows.Length; j++)
                matrix[i, j] = i == j ? 1 : System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(rows[i], rows[j]);
        return matrix;
    }

    /// <summary>
    /// The matrix as an image: <paramref name="cell"/>×<paramref name="cell"/> pixels per entry, colour-mapped by
    /// <see cref="Color"/>, with a <see cref="SeparatorWidth"/>-pixel line after the first <paramref name="split"/> rows
    /// and columns (between the top-K and bottom blocks).
    /// </summary>
    /// <exception cref="ArgumentException">A non-square matrix, a split outside 0..m, or a cell below 1.</exception>
    public static RgbImage SimilarityImage(double[,] similarity, int split, int cell = 4)
    {
        int m = similarity.GetLength(0);
        if (m < 1 || similarity.GetLength(1) != m) throw new ArgumentException($"a similarity image needs a square, non-empty matrix; got {m}×{similarity.GetLength(1)}");
        if (split < 0 || split > m) throw new ArgumentException($"the split {split} lies outside 0..{m}");
        if (cell < 1) throw new ArgumentException($"cell size must be at least 1 (got {cell})");
        int side = m * cell + SeparatorWidth;
        var image = RgbImage.Filled(side, side, SeparatorColor.R, SeparatorColor.G, SeparatorColor.B);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
            {
                var (r, g, b) = Color(similarity[i, j]);
                int y0 = Offset(i, split, cell), x0 = Offset(j, split, cell);
                for (int y = y0; y < y0 + cell; y++)
                    for (int x = x0; x < x0 + cell; x++) image.SetPixel(x, y, r, g, b);
            }
        return image;
    }

    /// <summary>Top-left pixel of entry <paramref name="index"/>: entries after the split sit past the separator.</summary>
    public static int Offset(int index, int split, int cell) => index * cell + (index >= split ? SeparatorWidth : 0);

    /// <summary>The colour of a cosine similarity: blue (−1) to white (0) to red (1), clamped.</summary>
    public static (byte R, byte G, byte B) Color(double cosine)
    {
        double c = Math.Clamp(double.IsNaN(cosine) ? 0 : cosine, -1, 1);
        var end = c >= 0 ? KeptColor : DroppedColor;
        double t = Math.Abs(c);
        byte Mix(byte target) => (byte)Math.Round(255 + (target - 255) * t);
        return (Mix(end.R), Mix(end.G), Mix(end.B));
    }
}
