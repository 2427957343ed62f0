using DiffPrune.Data.Images;

namespace DiffPrune.Reporting.Plots;

/// <summary>Where a text's anchor point lies horizontally: at its left edge, its centre or its right edge.</summary>
public enum TextAlign
{
    /// <summary>The anchor is the left edge.</summary>
    Left,
    /// <summary>The anchor is the centre.</summary>
    Center,
    /// <summary>The anchor is the right edge.</summary>
    Right,
}

/// <summary>
/// An RGB pixel canvas for plots written as PNG: filled rectangles, lines (solid or dashed, any thickness), filled
/// markers of several shapes and text in <see cref="BitmapFont"/> at integer scales, horizontal or rotated to read upwards.
/// Drawing outside the canvas is clipped. (0, 0) is the top-left pixel.
/// </summary>
public sealed class RasterCanvas
{
    readonly byte[] _rgb;

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>A canvas filled with <paramref name="background"/>.</summary>
    /// <exception cref="ArgumentException">A size below 1.</exception>
    public RasterCanvas(int width, int height, PlotColor background)
    {
        var image = RgbImage.Filled(width, height, background.R, background.G, background.B);
        (Width, Height, _rgb) = (width, height, image.Rgb);
    }

    /// <summary>The colour at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The pixel is outside the canvas.</exception>
    public PlotColor GetPixel(int x, int y)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
            throw new ArgumentOutOfRangeException(nameof(x), $"pixel ({x}, {y}) is outside a {Width}x{Height} canvas");
        int i = (y * Width + x) * 3;
        return new(_rgb[i], _rgb[i + 1], _rgb[i + 2]);
    }

    /// <summary>Sets one pixel (ignored outside the canvas).</summary>
    public void SetPixel(int x, int y, PlotColor c)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) return;
        int i = (y * Width + x) * 3;
        (_rgb[i], _rgb[i + 1], _rgb[i + 2]) = (c.R, c.G, c.B);
    }

    /// <summary>Fills the <paramref name="w"/>×<paramref name="h"/> rectangle whose top-left pixel is (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public void FillRect(int x, int y, int w, int h, PlotColor c)
    {
        int x0 = Math.Max(x, 0), y0 = Math.Max(y, 0), x1 = Math.Min(x + w, Width), y1 = Math.Min(y + h, Height);
        for (int yy = y0; yy < y1; yy++)
            for (int xx = x0; xx < x1; xx++) SetPixel(xx, yy, c);
    }

    /// <summary>The one-pixel outline of a rectangle (same geometry as <see cref="FillRect"/>).</summary>
    public void DrawRect(int x, int y, int w, int h, PlotColor c)
    {
        FillRect(x, y, w, 1, c);
        FillRect(x, y + h - 1, w, 1, c);
        FillRect(x, y, 1, h, c);
        FillRect(x + w - 1, y, 1, h, c);
    }

    /// <summary>
    /// A line from (x0, y0) to (x1, y1) (pixel centres, rounded), <paramref name="thickness"/> pixels wide (a square brush).
    /// With <paramref name="dash"/> &gt; 0 it is dashed: <paramref name="dash"/> pixels drawn, <paramref name="dash"/> skipped.
    /// </summary>
    public void DrawLine(double x0, double y0, double x1, double y1, PlotColor c, int thickness = 1, int dash = 0)
    {
        if (!double.IsFinite(x0) || !double.IsFinite(y0) || !double.IsFinite(x1) || !double.IsFinite(y1)) return;
        int ax = (int)Math.Round(x0), ay = (int)Math.Round(y0), bx = (int)Math.Round(x1), by = (int)Math.Round(y1);
        int dx = Math.Abs(bx - ax), dy = -Math.Abs(by - ay), sx = ax < bx ? 1 : -1, sy = ay < by ? 1 : -1, err = dx + dy;
        int lo = -(thickness - 1) / 2, hi = thickness / 2;
        for (int step = 0; ; step++)
        {
            if (dash <= 0 || step / dash % 2 == 0) FillRect(ax + lo, ay + lo, hi - lo + 1, hi - lo + 1, c);
            if (ax == bx && ay == by) break;
            int e2 = 2 * err;                                  // Bresenham: step in x, y or both
            if (e2 >= dy) { err += dy; ax += sx; }
            if (e2 <= dx) { err += dx; ay += sy; }
        }
    }

    /// <summary>A filled square marker of side 2·<paramref name="radius"/> + 1 centred on (x, y).</summary>
    public void DrawMarker(double x, double y, int radius, PlotColor c)
    {
        if (!double.IsFinite(x) || !double.IsFinite(y)) return;
        FillRect((int)Math.Round(x) - radius, (int)Math.Round(y) - radius, 2 * radius + 1, 2 * radius + 1, c);
    }

    /// <summary>A marker of <paramref name="shape"/> that fits in a (2·<paramref name="radius"/> + 1)² box centred on (x, y).</summary>
    public void DrawMarker(double x, double y, int radius, PlotColor c, MarkerShape shape)
    {
        if (!double.IsFinite(x) || !double.IsFinite(y)) return;
        int cx = (int)Math.Round(x), cy = (int)Math.Round(y);
        for (int dy = -radius; dy <= radius; dy++)
            for (int dx = -radius; dx <= radius; dx++)
                if (MarkerShapes.Covers(shape, dx, dy, radius)) SetPixel(cx + dx, cy + dy, c);
    }

    /// <summary>Text whose top edge is at <paramref name="y"/> and whose <paramref name="align"/> point is at <paramref name="x"/>.</summary>
    public void DrawText(int x, int y, string text, PlotColor c, int scale = 1, TextAlign align = TextAlign.Left)
    {
        int left = x - align switch { TextAlign.Center => BitmapFont.Width(text, scale) / 2, TextAlign.Right => BitmapFont.Width(text, scale), _ => 0 };
        BitmapFont.Rasterize(text, (gx, gy) => FillRect(left + gx * scale, y + gy * scale, scale, scale, c));
    }

    /// <summary>Text rotated a quarter turn counter-clockwise (reading upwards), centred vertically on <paramref name="y"/>, its top edge (now the left) at <paramref name="x"/>.</summary>
    public void DrawTextUp(int x, int y, string text, PlotColor c, int scale = 1)
    {
        int bottom = y + BitmapFont.Width(text, scale) / 2;
        BitmapFont.Rasterize(text, (gx, gy) => FillRect(x + gy * scale, bottom - (gx + 1) * scale, scale, scale, c));
    }

    /// <summary>The picture as an image (a copy).</summary>
    public RgbImage ToImage() => new(Width, Height, (byte[])_rgb.Clone());

    /// <summary>Writes the picture as an RGB PNG, atomically.</summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void SavePng(string path) => PngEncoder.Save(ToImage(), path);
}
