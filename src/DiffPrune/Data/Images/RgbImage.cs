namespace DiffPrune.Data.Images;

/// <summary>
/// An 8-bit RGB image, row-major and interleaved (<c>R, G, B</c> per pixel, rows top to bottom), with an optional
/// alpha plane. The colours are what a viewer shows on a white page: a decoded PNG with transparency has its
/// colours composited over white (see <see cref="RgbaImage.ToRgb"/>) and keeps the original alpha in
/// <see cref="Alpha"/>, so a caller that wants another background can recover it where alpha &gt; 0.
/// </summary>
public sealed class RgbImage
{
    /// <summary>Width in pixels (≥ 1).</summary>
    public int Width { get; }

    /// <summary>Height in pixels (≥ 1).</summary>
    public int Height { get; }

    /// <summary>Interleaved RGB bytes, <c>Height * Width * 3</c> of them; index <c>(y * Width + x) * 3 + c</c>.</summary>
    public byte[] Rgb { get; }

    /// <summary>Alpha per pixel (<c>Height * Width</c> bytes, 255 = opaque) when the source had transparency; else null.</summary>
    public byte[]? Alpha { get; }

    /// <summary>Wraps <paramref name="rgb"/> (and <paramref name="alpha"/>) without copying.</summary>
    /// <exception cref="ArgumentException">A size below 1, or a buffer whose length does not match the size.</exception>
    public RgbImage(int width, int height, byte[] rgb, byte[]? alpha = null)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        CheckSize(width, height);
        if (rgb.LongLength != (long)width * height * 3)
            throw new ArgumentException($"RGB buffer holds {rgb.LongLength} bytes but a {width}x{height} image needs {(long)width * height * 3}", nameof(rgb));
        if (alpha != null && alpha.LongLength != (long)width * height)
            throw new ArgumentException($"alpha buffer holds {alpha.LongLength} bytes but a {width}x{height} image needs {(long)width * height}", nameof(alpha));
        Width = width;
        Height = height;
        Rgb = rgb;
        Alpha = alpha;
    }

    /// <summary>A <paramref name="width"/>×<paramref name="height"/> image filled with one colour (white by default).</summary>
    public static RgbImage Filled(int width, int height, byte r = 255, byte g = 255, byte b = 255)
    {
        CheckSize(width, height);
        var rgb = new byte[checked(width * height * 3)];
        for (int i = 0; i < rgb.Length; i += 3)
        {
            rgb[i] = r;
            rgb[i + 1] = g;
            rgb[i + 2] = b;
        }
        return new RgbImage(width, height, rgb);
    }

    /// <summary>An RGB image whose three channels all equal <paramref name="gray"/> (row-major, one byte per pixel).</summary>
    /// <exception cref="ArgumentException"><paramref name="gray"/> does not hold <c>width * height</c> bytes.</exception>
    public static RgbImage FromGray(int width, int height, ReadOnlySpan<byte> gray)
    {
        CheckSize(width, height);
        if (gray.Length != (long)width * height)
            throw new ArgumentException($"gray buffer holds {gray.Length} bytes but a {width}x{height} image needs {(long)width * height}", nameof(gray));
        var rgb = new byte[gray.Length * 3];
        for (int i = 0; i < gray.Length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = gray[i];
        return new RgbImage(width, height, rgb);
    }

    /// <summary>The colour at column <paramref name="x"/>, row <paramref name="y"/>.</summary>
    public (byte R, byte G, byte B) GetPixel(int x, int y)
    {
        int i = Index(x, y);
        return (Rgb[i], Rgb[i + 1], Rgb[i + 2]);
    }

    /// <summary>Sets the colour at column <paramref name="x"/>, row <paramref name="y"/> (alpha, if any, is left as is).</summary>
    public void SetPixel(int x, int y, byte r, byte g, byte b)
    {
        int i = Index(x, y);
        Rgb[i] = r;
        Rgb[i + 1] = g;
        Rgb[i + 2] = b;
    }

    /// <summary>A deep copy.</summary>
    public RgbImage Clone() => new(Width, Height, (byte[])Rgb.Clone(), (byte[]?)Alpha?.Clone());

    /// <summary>The <paramref name="width"/>×<paramref name="height"/> window whose top-left corner is (<paramref name="x"/>, <paramref name="y"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The window does not lie inside the image.</exception>
    public RgbImage Crop(int x, int y, int width, int height)
    {
        if (x < 0 || y < 0 || width < 1 || height < 1 || x + width > Width || y + height > Height)
            throw new ArgumentOutOfRangeException(nameof(width), $"crop {width}x{height} at ({x}, {y}) does not fit in a {Width}x{Height} image");
        var rgb = new byte[width * height * 3];
        byte[]? alpha = Alpha == null ? null : new byte[width * height];
        for (int row = 0; row < height; row++)
        {
            Rgb.AsSpan(((y + row) * Width + x) * 3, width * 3).CopyTo(rgb.AsSpan(row * width * 3));
            Alpha?.AsSpan((y + row) * Width + x, width).CopyTo(alpha.AsSpan(row * width));
        }
        return new RgbImage(width, height, rgb, alpha);
    }

    /// <summary>The largest centred <paramref name="width"/>×<paramref name="height"/> window (torchvision's CenterCrop rounding: offset = round((W − w) / 2)).</summary>
    public RgbImage CenterCrop(int width, int height) =>
        Crop((int)Math.Round((Width - width) / 2.0), (int)Math.Round((Height - height) / 2.0), width, height);

    /// <inheritdoc/>
    public override string ToString() => $"RgbImage {Width}x{Height}{(Alpha != null ? " with alpha" : "")}";

    int Index(int x, int y)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
            throw new ArgumentOutOfRangeException(nameof(x), $"pixel ({x}, {y}) is outside a {Width}x{Height} image");
        return (y * Width + x) * 3;
    }

    internal static void CheckSize(int width, int height)
    {
        if (width < 1 || height < 1)
            throw new ArgumentException($"image size {width}x{height} is not positive");
        if ((long)width * height * 4 > Array.MaxLength)
            throw new ArgumentException($"image size {width}x{height} is too large for one buffer");
    }
}
