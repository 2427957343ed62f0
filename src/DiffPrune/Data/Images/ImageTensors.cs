using DiffPrune.Tensors;

namespace DiffPrune.Data.Images;

/// <summary>
/// Conversions between <see cref="RgbImage"/> and float tensors in CHW layout (B = batch, C = 3 channels R, G, B,
/// H = height, W = width), as torchvision's <c>ToTensor</c> and <c>Normalize</c> produce them, and back for drawing.
/// </summary>
public static class ImageTensors
{
    /// <summary>(1, 3, H, W) with values <c>byte / 255</c> in [0, 1]. Alpha is not included (the colours are already over white).</summary>
    public static Tensor ToTensor(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return ToTensor([image]);
    }

    /// <summary>(B, 3, H, W) normalised with <paramref name="normalization"/>: what a vision tower takes.</summary>
    public static Tensor ToTensor(IReadOnlyList<RgbImage> images, ImageNormalization normalization) => Normalize(ToTensor(images), normalization);

    /// <summary>(B, 3, H, W) with values in [0, 1]; every image must have the size of the first.</summary>
    /// <exception cref="ArgumentException">No images, or images of different sizes (the message names the first that differs).</exception>
    public static Tensor ToTensor(IReadOnlyList<RgbImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) throw new ArgumentException("no images to stack into a batch", nameof(images));
        int w = images[0].Width, h = images[0].Height, plane = w * h;
        var t = Tensor.Zeros(images.Count, 3, h, w); // (B, 3, H, W)
        var data = t.Data;
        for (int b = 0; b < images.Count; b++)
        {
            var image = images[b];
            if (image.Width != w || image.Height != h)
                throw new ArgumentException($"image {b} is {image.Width}x{image.Height} but image 0 is {w}x{h}; a batch needs one size (resize first)", nameof(images));
            var rgb = image.Rgb;
            int o = b * 3 * plane;
            for (int i = 0; i < plane; i++)
            {
                data[o + i] = rgb[3 * i] / 255f;
                data[o + plane + i] = rgb[3 * i + 1] / 255f;
                data[o + 2 * plane + i] = rgb[3 * i + 2] / 255f;
            }
        }
        return t;
    }

    /// <summary>A new tensor <c>(x − mean[c]) / std[c]</c> for a (B, 3, H, W) or (3, H, W) tensor of [0, 1] values.</summary>
    /// <exception cref="ArgumentException">The tensor is not (B, 3, H, W) or (3, H, W).</exception>
    public static Tensor Normalize(Tensor images, ImageNormalization normalization)
    {
        ArgumentNullException.ThrowIfNull(normalization);
        return PerChannel(images, normalization, forward: true);
    }

    /// <summary>The inverse of <see cref="Normalize"/>: <c>x · std[c] + mean[c]</c>.</summary>
    /// <exception cref="ArgumentException">The tensor is not (B, 3, H, W) or (3, H, W).</exception>
    public static Tensor Denormalize(Tensor images, ImageNormalization normalization)
    {
        ArgumentNullException.ThrowIfNull(normalization);
        return PerChannel(images, normalization, forward: false);
    }

    /// <summary>
    /// The image a (1, 3, H, W) or (3, H, W) tensor shows: values are first denormalised when <paramref name="normalization"/>
    /// is given, then <c>round(clamp(x, 0, 1) · 255)</c> (ties to even). NaN becomes 0.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor is not (1, 3, H, W) or (3, H, W).</exception>
    public static RgbImage ToImage(Tensor image, ImageNormalization? normalization = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (batch, h, w) = CheckChw(image);
        if (batch != 1)
            throw new ArgumentException($"ToImage takes one image, (1, 3, H, W) or (3, H, W); got shape [{string.Join(", ", image.Shape)}]", nameof(image));
        var values = normalization == null ? image : Denormalize(image, normalization);
        var data = values.Data;
        int plane = h * w;
        var rgb = new byte[3 * plane];
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < plane; i++)
            {
                float v = data[c * plane + i];
                rgb[3 * i + c] = float.IsNaN(v) ? (byte)0 : ImageResize.ToByte(Math.Clamp(v, 0f, 1f) * 255f);
            }
        return new RgbImage(w, h, rgb);
    }

    /// <summary>
    /// A model input from an image: bilinear resize to <paramref name="size"/>×<paramref name="size"/> (<see cref="ImageResize"/>,
    /// on [0, 1] floats), then <see cref="Normalize"/>. Returns (1, 3, size, size). The resize reads the image's bytes in
    /// place, so a large image costs no full-size float copy.
    /// </summary>
    public static Tensor Preprocess(RgbImage image, int size, ImageNormalization normalization)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width == size && image.Height == size) return Normalize(ToTensor(image), normalization);
        RgbImage.CheckSize(size, size);
        var t = Tensor.Zeros(1, 3, size, size); // (1, 3, size, size)
        int plane = size * size;
        for (int c = 0; c < 3; c++)
            ImageResize.BilinearBytes(image.Rgb, 3, c, 255f, t.Data.Slice(c * plane, plane), image.Height, image.Width, size, size);
        return Normalize(t, normalization);
    }

    static (int Batch, int H, int W) CheckChw(Tensor t)
    {
        var s = t.Shape;
        if (s.Length == 4 && s[1] == 3) return (s[0], s[2], s[3]);
        if (s.Length == 3 && s[0] == 3) return (1, s[1], s[2]);
        throw new ArgumentException($"expected an image tensor (B, 3, H, W) or (3, H, W); got shape [{string.Join(", ", s)}]");
    }

    static Tensor PerChannel(Tensor images, ImageNormalization n, bool forward)
    {
        ArgumentNullException.ThrowIfNull(images);
        var (batch, h, w) = CheckChw(images);
        var result = Tensor.Zeros(images.Shape);
        ReadOnlySpan<float> src = images.Data;
        var dst = result.Data;
        int plane = h * w;
        for (int b = 0; b < batch; b++)
            for (int c = 0; c < 3; c++)
            {
                float mean = n.Mean[c], std = n.Std[c];
                int o = (b * 3 + c) * plane;
                if (forward)
                    for (int i = o; i < o + plane; i++) dst[i] = (src[i] - mean) / std;
                else
                    for (int i = o; i < o + plane; i++) dst[i] = src[i] * std + mean;
            }
        return result;
    }
}
