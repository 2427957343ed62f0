using DiffPrune.Data.Images;

namespace DiffPrune.Models.Vlm;

/// <summary>
/// Cuts an image into the views a LLaVA-NeXT tower encodes (llava-hf's <c>LlavaNextImageProcessor.get_image_patches</c>):
/// the base view, the whole image resized to the tower's square input, then the tiles of the image resized into its
/// pinpoint with the aspect kept, centred on a black canvas of the pinpoint's size (the odd pixel of padding goes to the
/// bottom or right) and cut row by row.
/// </summary>
/// <remarks>Departure from llava-hf: resizing is bilinear (the project's <see cref="ImageResize"/>), where llava-hf
/// resamples with PIL's bicubic filter; the geometry, and so every token's place, is the same.</remarks>
public static class AnyResTiler
{
    /// <summary>The <see cref="AnyResLayout.Views"/> views of <paramref name="image"/> for <paramref name="layout"/>, base view first.</summary>
    /// <exception cref="ArgumentException">The layout was made for another image size.</exception>
    public static RgbImage[] Views(RgbImage image, AnyResLayout layout)
    {
        if (image.Height != layout.OriginalHeight || image.Width != layout.OriginalWidth)
            throw new ArgumentException($"image is {image.Width}x{image.Height} but the layout was made for {layout.OriginalWidth}x{layout.OriginalHeight}");
        int tile = layout.TileSize;
        var views = new List<RgbImage> { Resize(image, tile, tile) };
        var canvas = Padded(image, layout.Resolution);
        for (int t = 0; t < layout.TileRows; t++)
            for (int u = 0; u < layout.TileColumns; u++)
                views.Add(Crop(canvas, t * tile, u * tile, tile));
        return views.ToArray();
    }

    /// <summary><paramref name="image"/> resized into <paramref name="target"/> with its aspect kept and centred on black.</summary>
    public static RgbImage Padded(RgbImage image, (int Height, int Width) target)
    {
        var (h, w) = AnyResGeometry.FitInside(image.Height, image.Width, target);
        var resized = Resize(image, h, w);
        int top = (target.Height - h) / 2, left = (target.Width - w) / 2;
        var rgb = new byte[checked(target.Height * target.Width * 3)];
        for (int y = 0; y < h; y++)
            Array.Copy(resized.Rgb, y * w * 3, rgb, ((top + y) * target.Width + left) * 3, w * 3);
        return new RgbImage(target.Width, target.Height, rgb);
    }

    static RgbImage Resize(RgbImage image, int height, int width) =>
        image.Height == height && image.Width == width && image.Alpha == null ? image : ImageResize.Bilinear(new RgbImage(image.Width, image.Height, image.Rgb), width, height);

    static RgbImage Crop(RgbImage image, int top, int left, int side)
    {
        var rgb = new byte[side * side * 3];
        for (int y = 0; y < side; y++)
            Array.Copy(image.Rgb, ((top + y) * image.Width + left) * 3, rgb, y * side * 3, side * 3);
        return new RgbImage(side, side, rgb);
    }
}
