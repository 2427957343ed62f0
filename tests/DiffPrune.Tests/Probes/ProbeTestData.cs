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
        var gen = new Generator(99);
        foreach (var (prefix, count) in new[] { ("train", 120), ("t10k", 60) })
        {
            var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
            var pixels = new byte[count * 784];
            for (int i = 0; i < count; i++)
            {
                int c = labels[i], top = 2 + c / 4 * 8, left = 2 + c % 4 * 6;
                for (int y = 0; y < 28; y++)
                    for (int x = 0; x < 28; x++)
                        pixels[i * 784 + y * 28 + x] = y >= top && y < top + 8 && x >= left && x < left + 8 ? (byte)(200 + gen.NextInt(55)) : (byte)gen.NextInt(40);
            }
            IdxFileTests.Write(_dir.File($"{prefix}-images-idx3-ubyte.gz"), 0x803, [count, 28, 28], pixels);
            IdxFileTests.Write(_dir.File($"{prefix}-labels-idx1-ubyte.gz"), 0x801, [count], labels);
        }
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
