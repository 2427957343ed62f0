using DiffPrune.Data.Images;
using DiffPrune.Tensors;

namespace DiffPrune.Probes;

/// <summary>
/// Fashion-MNIST as the pilot probe's ViT sees it: each 28×28 image upsampled bilinearly to 56×56 (so 4×4 patches give
/// DeiT's N = 196 tokens), then normalised with the training split's pixel mean and standard deviation.
/// </summary>
public sealed class ProbeImages
{
    /// <summary>Side of the upsampled image in pixels.</summary>
    public const int ImageSize = 56;

    /// <summary>Mean of the training split's pixels on [0, 1].</summary>
    public const float PixelMean = 0.2860f;

    /// <summary>Standard deviation of the training split's pixels on [0, 1].</summary>
    public const float PixelStd = 0.3530f;

    /// <summary>The images and labels.</summary>
    public FashionMnist Source { get; }

    /// <summary>Number of images.</summary>
    public int Count => Source.Count;

    /// <summary>Wraps a loaded split.</summary>
    public ProbeImages(FashionMnist source) => Source = source;

    /// <summary>Both splits from <paramref name="directory"/> (default: where <c>dataset-fashion-mnist</c> installs them).</summary>
    /// <exception cref="FileNotFoundException">The data is missing; the message names the folder and the apt package.</exception>
    public static (ProbeImages Train, ProbeImages Test) Load(string? directory = null) =>
        (new(FashionMnist.Load(FashionMnistSplit.Train, directory)), new(FashionMnist.Load(FashionMnistSplit.Test, directory)));

    /// <summary>Images <paramref name="indices"/> as normalised pixels (B, 1, 56, 56) and their labels.</summary>
    public (Tensor Pixels, int[] Labels) Batch(IReadOnlyList<int> indices)
    {
        int side = Source.Rows * Source.Columns;
        var small = Tensor.Zeros(indices.Count, 1, Source.Rows, Source.Columns); // (B, 1, 28, 28)
        var labels = new int[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            var image = Source.Image(indices[i]);
            var dst = small.Data.Slice(i * side, side);
            for (int p = 0; p < side; p++) dst[p] = image[p] / 255f;
            labels[i] = Source.Labels[indices[i]];
        }
        var pixels = ImageResize.Bilinear(small, ImageSize, ImageSize);        // (B, 1, 56, 56)
        var data = pixels.Data;
        for (int i = 0; i < data.Length; i++) data[i] = (data[i] - PixelMean) / PixelStd;
        return (pixels, labels);
    }

    /// <summary>Images <paramref name="start"/> .. start + count − 1.</summary>
    public (Tensor Pixels, int[] Labels) Range(int start, int count) => Batch(Enumerable.Range(start, count).ToArray());

    /// <summary><paramref name="count"/> image indices drawn uniformly (with replacement) from <paramref name="gen"/>.</summary>
    public int[] Sample(Generator gen, int count) => Enumerable.Range(0, count).Select(_ => gen.NextInt(Count)).ToArray();
}
