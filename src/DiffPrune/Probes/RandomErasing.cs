using DiffPrune.Tensors;

namespace DiffPrune.Probes;

/// <summary>One erased rectangle of one image: rows <c>Top .. Top + Height − 1</c>, columns <c>Left .. Left + Width − 1</c>.</summary>
/// <param name="Image">Index of the image in its batch.</param>
/// <param name="Top">First erased row.</param>
/// <param name="Left">First erased column.</param>
/// <param name="Height">Erased rows.</param>
/// <param name="Width">Erased columns.</param>
public readonly record struct ErasedRectangle(int Image, int Top, int Left, int Height, int Width)
{
    /// <summary>Erased pixels per channel.</summary>
    public int Area => Height * Width;
}

/// <summary>
/// Random erasing (Zhong et al., AAAI 2020) as DeiT trains with it (timm's <c>RandomErasing</c>, mode "pixel", count 1):
/// with probability <see cref="Probability"/> an image gets one rectangle of area a·H·W, a ~ U(<see cref="MinArea"/>,
/// <see cref="MaxArea"/>), and aspect ratio h/w = r, ln r ~ U(ln <see cref="MinAspect"/>, ln <see cref="MaxAspect"/>),
/// sides rounded to whole pixels, placed uniformly where it fits, whose pixels are replaced by independent N(0, 1) draws.
/// Applied to normalised pixels, the noise has the scale of the data. A rectangle that does not fit is drawn again, at most
/// ten times; after ten misses the image stays as it is (as in timm). DeiT-Base: p = 0.25, area 0.02–1/3, ratio 0.3–3.3.
/// </summary>
public sealed record RandomErasing
{
    const int Attempts = 10;

    /// <summary>Chance that an image is erased at all (DeiT: 0.25; 0 turns erasing off).</summary>
    public double Probability { get; init; } = 0.25;

    /// <summary>Smallest erased fraction of the image area.</summary>
    public double MinArea { get; init; } = 0.02;

    /// <summary>Largest erased fraction of the image area.</summary>
    public double MaxArea { get; init; } = 1.0 / 3;

    /// <summary>Smallest height / width of the rectangle.</summary>
    public double MinAspect { get; init; } = 0.3;

    /// <summary>Largest height / width of the rectangle (timm: 1 / min aspect).</summary>
    public double MaxAspect { get; init; } = 1 / 0.3;

    /// <summary>Checks the settings and returns them.</summary>
    /// <exception cref="ArgumentException">A probability outside [0, 1], an area range outside (0, 1] or reversed, an aspect range not positive or reversed.</exception>
    public RandomErasing Validate()
    {
        if (!(Probability >= 0 && Probability <= 1)) throw new ArgumentException($"random erasing: probability {Probability} must lie in [0, 1]");
        if (!(MinArea > 0 && MinArea <= MaxArea && MaxArea <= 1)) throw new ArgumentException($"random erasing: area range {MinArea}–{MaxArea} must satisfy 0 < min ≤ max ≤ 1");
        if (!(MinAspect > 0 && MinAspect <= MaxAspect && double.IsFinite(MaxAspect))) throw new ArgumentException($"random erasing: aspect range {MinAspect}–{MaxAspect} must satisfy 0 < min ≤ max < ∞");
        return this;
    }

    /// <summary>
    /// Erases rectangles of <paramref name="pixels"/> (B, C, H, W) in place, every channel of a rectangle with its own noise;
    /// returns the rectangles. Every draw comes from <paramref name="gen"/>: the same generator state, the same rectangles and noise.
    /// </summary>
    /// <exception cref="ArgumentException">The pixels are not 4-D.</exception>
    public IReadOnlyList<ErasedRectangle> Apply(Tensor pixels, Generator gen)
    {
        if (pixels.Rank != 4) throw new ArgumentException($"random erasing needs pixels (B, C, H, W), got {pixels.Describe()}");
        int b = pixels.Shape[0], c = pixels.Shape[1], h = pixels.Shape[2], w = pixels.Shape[3];
        var erased = new List<ErasedRectangle>();
        var data = pixels.Data;
        for (int i = 0; i < b; i++)
        {
            if (gen.NextDouble() >= Probability) continue;
            if (Draw(i, h, w, gen) is not { } rect) continue;
            for (int ch = 0; ch < c; ch++)
                for (int y = rect.Top; y < rect.Top + rect.Height; y++)
                    gen.FillNormal(data.Slice(((i * c + ch) * h + y) * w + rect.Left, rect.Width));
            erased.Add(rect);
        }
        return erased;
    }

    // timm's rejection loop: a rectangle must be strictly smaller than the image along both sides
    ErasedRectangle? Draw(int image, int h, int w, Generator gen)
    {
        double logMin = Math.Log(MinAspect), logMax = Math.Log(MaxAspect);
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            double area = (MinArea + (MaxArea - MinArea) * gen.NextDouble()) * h * w;
            double aspect = Math.Exp(logMin + (logMax - logMin) * gen.NextDouble());
            int eh = (int)Math.Round(Math.Sqrt(area * aspect)), ew = (int)Math.Round(Math.Sqrt(area / aspect));
            if (eh < 1 || ew < 1 || eh >= h || ew >= w) continue;
            return new ErasedRectangle(image, gen.NextInt(h - eh + 1), gen.NextInt(w - ew + 1), eh, ew);
        }
        return null;
    }
}
