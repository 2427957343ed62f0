using DiffPrune.Tensors;

namespace DiffPrune.Data.Images;

/// <summary>
/// Bilinear resizing with half-pixel centres: PyTorch's <c>F.interpolate(x, size, mode="bilinear",
/// align_corners=False, antialias=False)</c>. Output pixel <c>d</c> samples the input at
/// <c>s = max(0, (d + 0.5) · in / out − 0.5)</c>, between rows/columns <c>⌊s⌋</c> and <c>min(⌊s⌋ + 1, in − 1)</c>.
/// No antialiasing: shrinking by more than 2× skips input pixels (as PyTorch's default does; PIL's resize filters instead).
/// </summary>
public static class ImageResize
{
    /// <summary>
    /// Resizes the last two dimensions of <paramref name="input"/> (…, H, W) to (<paramref name="height"/>, <paramref name="width"/>);
    /// leading dimensions are independent planes. Returns a new tensor; no gradient is recorded.
    /// </summary>
    /// <exception cref="ArgumentException">Rank below 2 or a target size below 1.</exception>
    public static Tensor Bilinear(Tensor input, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank < 2)
            throw new ArgumentException($"bilinear resize needs a tensor of rank ≥ 2 (…, H, W); got shape [{string.Join(", ", input.Shape)}]", nameof(input));
        if (height < 1 || width < 1) throw new ArgumentException($"target size {height}x{width} (H x W) is not positive");
        int inH = input.Shape[^2], inW = input.Shape[^1];
        var shape = (int[])input.Shape.Clone();
        shape[^2] = height;
        shape[^1] = width;
        var output = Tensor.Zeros(shape);
        int planes = input.Numel / (inH * inW);
        BilinearPlanes(input.Data, output.Data, planes, inH, inW, height, width);
        return output;
    }

    /// <summary>
    /// Resizes <paramref name="image"/> to <paramref name="width"/>×<paramref name="height"/>: each channel (and alpha, if any)
    /// is interpolated in float as <see cref="Bilinear(Tensor, int, int)"/> does, then rounded to the nearest byte (ties to even, like <c>torch.round</c>).
    /// Reads the bytes in place: memory grows with the output only, never with a float copy of a large input.
    /// </summary>
    public static RgbImage Bilinear(RgbImage image, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        RgbImage.CheckSize(width, height);
        int outPlane = width * height;
        var plane = new float[outPlane];
        var rgb = new byte[3 * outPlane];
        for (int c = 0; c < 3; c++)
        {
            BilinearBytes(image.Rgb, 3, c, 1f, plane, image.Height, image.Width, height, width);
            for (int i = 0; i < outPlane; i++) rgb[3 * i + c] = ToByte(plane[i]);
        }
        byte[]? alpha = null;
        if (image.Alpha != null)
        {
            BilinearBytes(image.Alpha, 1, 0, 1f, plane, image.Height, image.Width, height, width);
            alpha = new byte[outPlane];
            for (int i = 0; i < outPlane; i++) alpha[i] = ToByte(plane[i]);
        }
        return new RgbImage(width, height, rgb, alpha);
    }

    /// <summary>
    /// Bilinear resize of one channel of interleaved bytes: the input value at pixel k is
    /// <c>input[k · stride + offset] / divisor</c> (the same float <see cref="ImageTensors.ToTensor(RgbImage)"/> makes with
    /// divisor 255), so the result equals resizing a float copy, bit for bit, without making one.
    /// </summary>
    internal static void BilinearBytes(ReadOnlySpan<byte> input, int stride, int offset, float divisor, Span<float> output, int inH, int inW, int outH, int outW)
    {
        var (h0, hStep, hLambda) = SourceIndices(inH, outH);
        var (w0, wStep, wLambda) = SourceIndices(inW, outW);
        float At(ReadOnlySpan<byte> src, long k) => src[(int)(k * stride + offset)] / divisor;
        for (int y = 0; y < outH; y++)
        {
            float h1l = hLambda[y], h0l = 1f - h1l;
            long top = (long)h0[y] * inW, bottom = top + hStep[y] * inW;
            for (int x = 0; x < outW; x++)
            {
                float w1l = wLambda[x], w0l = 1f - w1l;
                int left = w0[x], right = left + wStep[x];
                output[y * outW + x] = h0l * (w0l * At(input, top + left) + w1l * At(input, top + right))
                                     + h1l * (w0l * At(input, bottom + left) + w1l * At(input, bottom + right));
            }
        }
    }

    /// <summary>Rounds to the nearest integer (ties to even) and clamps to 0..255.</summary>
    internal static byte ToByte(float v) => (byte)Math.Clamp(MathF.Round(v), 0f, 255f);

    /// <summary>For each output index: the lower source index, the step to the upper one (0 or 1) and the upper weight.</summary>
    static (int[] Lo, int[] Step, float[] Lambda) SourceIndices(int inSize, int outSize)
    {
        var lo = new int[outSize];
        var step = new int[outSize];
        var lambda = new float[outSize];
        float scale = (float)inSize / outSize;
        for (int d = 0; d < outSize; d++)
        {
            float s = Math.Max(0f, scale * (d + 0.5f) - 0.5f);
            int i = Math.Min((int)s, inSize - 1);
            lo[d] = i;
            step[d] = i < inSize - 1 ? 1 : 0;
            lambda[d] = s - i;
        }
        return (lo, step, lambda);
    }

    // planes = independent (H, W) slices; input (planes, inH, inW) → output (planes, outH, outW)
    static void BilinearPlanes(ReadOnlySpan<float> input, Span<float> output, int planes, int inH, int inW, int outH, int outW)
    {
        var (h0, hStep, hLambda) = SourceIndices(inH, outH);
        var (w0, wStep, wLambda) = SourceIndices(inW, outW);
        for (int p = 0; p < planes; p++)
        {
            var src = input.Slice(p * inH * inW, inH * inW);
            var dst = output.Slice(p * outH * outW, outH * outW);
            for (int y = 0; y < outH; y++)
            {
                float h1l = hLambda[y], h0l = 1f - h1l;
                int top = h0[y] * inW, bottom = top + hStep[y] * inW;
                for (int x = 0; x < outW; x++)
                {
                    float w1l = wLambda[x], w0l = 1f - w1l;
                    int left = w0[x], right = left + wStep[x];
                    dst[y * outW + x] = h0l * (w0l * src[top + left] + w1l * src[top + right])
                                      + h1l * (w0l * src[bottom + left] + w1l * src[bottom + right]);
                }
            }
        }
    }
}
