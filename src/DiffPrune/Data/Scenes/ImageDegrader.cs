using DiffPrune.Data.Images;
using DiffPrune.Tensors;

namespace DiffPrune.Data.Scenes;

/// <summary>VizWiz's degradations, in integer arithmetic (identical on every machine).</summary>
public static class ImageDegrader
{
    /// <summary>Amplitude of <see cref="ImageDegradation.Noise"/> in grey levels.</summary>
    public const int NoiseAmplitude = 24;

    /// <summary>
    /// A degraded copy of <paramref name="scene"/>'s image: first the objects in <paramref name="occluded"/> are painted
    /// over with the background (their boxes restored from <see cref="Scene.Background"/>), then the photometric
    /// degradations in <paramref name="degradation"/> are applied (blur, then noise drawn from <paramref name="rng"/>,
    /// then low contrast).
    /// </summary>
    public static RgbImage Degrade(Scene scene, ImageDegradation degradation, IEnumerable<SceneObject> occluded, Generator rng)
    {
        ArgumentNullException.ThrowIfNull(scene);
        var image = scene.Image.Clone();
        int w = image.Width;
        foreach (var o in occluded)
            for (int y = o.Box.Y; y < o.Box.Y + o.Box.Height; y++)
                scene.Background.Rgb.AsSpan((y * w + o.Box.X) * 3, o.Box.Width * 3).CopyTo(image.Rgb.AsSpan((y * w + o.Box.X) * 3));
        if (degradation.HasFlag(ImageDegradation.Blur)) image = BoxBlur(image);
        var rgb = image.Rgb;
        if (degradation.HasFlag(ImageDegradation.Noise))
            for (int i = 0; i < rgb.Length; i += 3)
            {
                ulong bits = rng.NextUInt64();                    // one draw per pixel: 21 bits per channel
                for (int c = 0; c < 3; c++)
                {
                    int n = (int)((bits >> (21 * c)) & 0x1FFFFF) % (2 * NoiseAmplitude + 1) - NoiseAmplitude;
                    rgb[i + c] = (byte)Math.Clamp(rgb[i + c] + n, 0, 255);
                }
            }
        if (degradation.HasFlag(ImageDegradation.LowContrast))
            for (int i = 0; i < rgb.Length; i++)
                rgb[i] = (byte)(128 + (rgb[i] - 128) * 2 / 5);
        return image;
    }

    /// <summary>3×3 mean filter with edge pixels repeated (integer mean, rounded half up), as a row pass then a column pass.</summary>
    public static RgbImage BoxBlur(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        int w = image.Width, h = image.Height, stride = 3 * w;
        var src = image.Rgb;
        var rows = new int[src.Length];                          // sums over x−1..x+1
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int left = Math.Max(x - 1, 0), right = Math.Min(x + 1, w - 1);
                for (int c = 0; c < 3; c++)
                    rows[y * stride + 3 * x + c] = src[y * stride + 3 * left + c] + src[y * stride + 3 * x + c] + src[y * stride + 3 * right + c];
            }
        var dst = new byte[src.Length];
        for (int y = 0; y < h; y++)
        {
            int up = Math.Max(y - 1, 0) * stride, down = Math.Min(y + 1, h - 1) * stride, mid = y * stride;
            for (int i = 0; i < stride; i++) dst[mid + i] = (byte)((rows[up + i] + rows[mid + i] + rows[down + i] + 4) / 9);
        }
        return new RgbImage(w, h, dst);
    }
}
