namespace DiffPrune.Data.Images;

/// <summary>
/// An 8-bit RGBA image with straight (non-premultiplied) alpha, row-major and interleaved (<c>R, G, B, A</c> per pixel):
/// what <see cref="PngDecoder.DecodeRgba(string)"/> returns before any compositing.
/// </summary>
public sealed class RgbaImage
{
    /// <summary>Width in pixels (≥ 1).</summary>
    public int Width { get; }

    /// <summary>Height in pixels (≥ 1).</summary>
    public int Height { get; }

    /// <summary><c>Height * Width * 4</c> bytes; index <c>(y * Width + x) * 4 + c</c>.</summary>
    public byte[] Rgba { get; }

    /// <summary>Whether the source carried transparency (an alpha channel or a tRNS chunk); when false every alpha byte is 255.</summary>
    public bool HasAlpha { get; }

    /// <summary>Wraps <paramref name="rgba"/> without copying.</summary>
    /// <exception cref="ArgumentException">A size below 1, or a buffer whose length does not match the size.</exception>
    public RgbaImage(int width, int height, byte[] rgba, bool hasAlpha)
    {
        ArgumentNullException.ThrowIfNull(rgba);
        RgbImage.CheckSize(width, height);
        if (rgba.LongLength != (long)width * height * 4)
            throw new ArgumentException($"RGBA buffer holds {rgba.LongLength} bytes but a {width}x{height} image needs {(long)width * height * 4}", nameof(rgba));
        Width = width;
        Height = height;
        Rgba = rgba;
        HasAlpha = hasAlpha;
    }

    /// <summary>
    /// Composites over white: <c>c' = round((c·a + 255·(255 − a)) / 255)</c> per channel, in integers.
    /// The result keeps the alpha plane when <see cref="HasAlpha"/> is true, and has none otherwise.
    /// </summary>
    public RgbImage ToRgb()
    {
        int n = Width * Height;
        var rgb = new byte[n * 3];
        byte[]? alpha = HasAlpha ? new byte[n] : null;
        for (int i = 0; i < n; i++)
        {
            int a = Rgba[4 * i + 3];
            for (int c = 0; c < 3; c++) rgb[3 * i + c] = OverWhite(Rgba[4 * i + c], a);
            if (alpha != null) alpha[i] = (byte)a;
        }
        return new RgbImage(Width, Height, rgb, alpha);
    }

    /// <summary>An opaque RGBA copy of <paramref name="image"/> (its <see cref="RgbImage.Alpha"/>, if any, becomes the alpha channel).</summary>
    public static RgbaImage FromRgb(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        int n = image.Width * image.Height;
        var rgba = new byte[n * 4];
        for (int i = 0; i < n; i++)
        {
            rgba[4 * i] = image.Rgb[3 * i];
            rgba[4 * i + 1] = image.Rgb[3 * i + 1];
            rgba[4 * i + 2] = image.Rgb[3 * i + 2];
            rgba[4 * i + 3] = image.Alpha?[i] ?? 255;
        }
        return new RgbaImage(image.Width, image.Height, rgba, image.Alpha != null);
    }

    /// <summary><c>round((c·a + 255·(255 − a)) / 255)</c>: channel value <paramref name="c"/> with alpha <paramref name="a"/> laid over white.</summary>
    public static byte OverWhite(int c, int a) => (byte)((c * a + 255 * (255 - a) + 127) / 255);

    /// <inheritdoc/>
    public override string ToString() => $"RgbaImage {Width}x{Height}{(HasAlpha ? " with alpha" : "")}";
}
