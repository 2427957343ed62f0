using DiffPrune.Models.Vision;
using DiffPrune.Probes;
using DiffPrune.Pruning;
using DiffPrune.Tensors;
using DiffPrune.Tests.Data;

namespace DiffPrune.Tests.Probes;

/// <summary>
/// Train (120 images) and test (60) splits written in Fashion-MNIST's IDX format to a temporary folder and loaded as the probe
/// loads the real ones: class c is a bright 8×8 square at a position set by c on a dim noisy background. Shared by a test
/// class (xunit class fixture) and deleted after it.
/// </summary>
public sealed class SyntheticFashionMnist : IDisposable
{
    readonly TempDirectory _dir = new();

    /// <summary>The training split.</summary>
    public ProbeImages Train { get; }

    /// <summary>The test split.</summary>
    public ProbeImages Test { get; }

    /// <summary>Writes and loads the splits.</summary>
    public SyntheticFashionMnist()
    {
        DiffPrune.Testing.IdxFiles.WriteSyntheticFashionMnist(_dir.Path);
        (Train, Test) = ProbeImages.Load(_dir.Path);
    }

    /// <inheritdoc/>
    public void Dispose() => _dir.Dispose();
}

/// <summary>Small stand-ins for the probe's models.</summary>
static class ProbeTestData
{
    /// <summary>A ViT of width 8 (one block, two heads) over the probe's 56×56 images: N = 196, cheap to run.</summary>
    public static VisionConfig Narrow => new ProbeEncoder("narrow", 8, 1, 2).Config;

    /// <summary>A narrow classifier with random weights, its patch tokens for the first <paramref name="images"/> training images, and an objective at K.</summary>
    public static (ScorerObjective Objective, Tensor Tokens, int[] Labels) Objective(ProbeImages train, int images = 3, int keep = 20)
    {
        var classifier = new DeitClassifier(Narrow, 10, new Generator(3));
        var (pixels, labels) = train.Range(0, images);
        Tensor tokens;
        using (Autograd.NoGrad()) tokens = classifier.PatchTokens(pixels);
        return (new ScorerObjective(classifier, TokenStandardizer.Fit(tokens), keep), tokens, labels);
    }
}
