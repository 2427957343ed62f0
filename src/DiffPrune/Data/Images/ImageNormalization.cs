namespace DiffPrune.Data.Images;

/// <summary>
/// Per-channel mean and standard deviation for <c>x' = (x − mean[c]) / std[c]</c> on [0, 1] RGB values,
/// as torchvision's <c>Normalize</c> applies them. <see cref="Clip"/> is what CLIP's image processor uses.
/// </summary>
public sealed class ImageNormalization
{
    /// <summary>A short name for messages and reports.</summary>
    public string Name { get; }

    /// <summary>Mean of R, G, B.</summary>
    public IReadOnlyList<float> Mean { get; }

    /// <summary>Standard deviation of R, G, B (each &gt; 0).</summary>
    public IReadOnlyList<float> Std { get; }

    /// <summary>A normalisation with three means and three positive standard deviations.</summary>
    /// <exception cref="ArgumentException">Not three values each, or a standard deviation that is not positive and finite.</exception>
    public ImageNormalization(string name, ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        if (mean.Length != 3 || std.Length != 3)
            throw new ArgumentException($"normalisation '{name}' needs 3 means and 3 standard deviations (R, G, B); got {mean.Length} and {std.Length}");
        foreach (float s in std)
            if (!(s > 0 && float.IsFinite(s))) throw new ArgumentException($"normalisation '{name}' has standard deviation {s}; each must be positive");
        Name = name;
        Mean = mean.ToArray();
        Std = std.ToArray();
    }

    /// <summary>OpenAI CLIP (and LLaVA's CLIP ViT-L/14 tower): mean (0.48145466, 0.4578275, 0.40821073), std (0.26862954, 0.26130258, 0.27577711).</summary>
    public static ImageNormalization Clip { get; } =
        new("CLIP", [0.48145466f, 0.4578275f, 0.40821073f], [0.26862954f, 0.26130258f, 0.27577711f]);

    /// <summary>ImageNet (torchvision's classification models, DeiT): mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).</summary>
    public static ImageNormalization ImageNet { get; } = new("ImageNet", [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <summary>Maps [0, 1] to [−1, 1]: mean 0.5, std 0.5 (SigLIP and many ViTs trained from scratch).</summary>
    public static ImageNormalization Symmetric { get; } = new("Symmetric", [0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f]);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} (mean {string.Join(", ", Mean)}; std {string.Join(", ", Std)})";
}
