namespace DiffPrune.Data.Images;

/// <summary>The fields of a PNG's IHDR chunk that decide how its pixels are stored.</summary>
/// <param name="Width">Width in pixels (≥ 1).</param>
/// <param name="Height">Height in pixels (≥ 1).</param>
/// <param name="BitDepth">Bits per sample (or per palette index): 1, 2, 4, 8 or 16.</param>
/// <param name="ColorType">How samples make up a pixel.</param>
/// <param name="Interlaced">True for Adam7 interlacing, false for rows in order.</param>
public sealed record PngHeader(int Width, int Height, int BitDepth, PngColorType ColorType, bool Interlaced)
{
    /// <summary>Samples per pixel: 1 (gray, palette), 2 (gray+alpha), 3 (RGB), 4 (RGBA).</summary>
    public int Channels => ColorType switch
    {
        PngColorType.Gray or PngColorType.Palette => 1,
        PngColorType.GrayAlpha => 2,
        PngColorType.Rgb => 3,
        _ => 4,
    };

    /// <summary>Bits per pixel: <see cref="Channels"/> × <see cref="BitDepth"/>.</summary>
    public int BitsPerPixel => Channels * BitDepth;

    /// <summary>Bytes in one unfiltered row of <paramref name="width"/> pixels (without the filter-type byte).</summary>
    public long RowBytes(int width) => ((long)width * BitsPerPixel + 7) / 8;
}
