using DiffPrune.Probes;
using DiffPrune.Tensors;
using DiffPrune.Tests.Data;
using DiffPrune.Training;

namespace DiffPrune.Tests.Probes;

public class RandomErasingTests(SyntheticFashionMnist data) : IClassFixture<SyntheticFashionMnist>
{
    const float Marker = 7.25f;   // far outside N(0, 1): any pixel still equal to it was not erased

    static Tensor Constant(int b, int c, int h, int w)
    {
        var t = Tensor.Zeros(b, c, h, w);
        t.Data.Fill(Marker);
        return t;
    }

    static bool Inside(ErasedRectangle r, int y, int x) => y >= r.Top && y < r.Top + r.Height && x >= r.Left && x < r.Left + r.Width;

    [Fact]
    public void AboutPOfTheImagesGetOneRectangleOfNoiseWithinTheAreaAndAspectBoundsAndNothingElseChanges()
    {
        const int b = 2000, c = 2, h = 56, w = 56;
        var pixels = Constant(b, c, h, w);
        var erasing = new RandomErasing();
        var rects = erasing.Apply(pixels, new Generator(1));

        // erased fraction ≈ p = 0.25: binomial sd over 2,000 images is 0.0097; a miss after ten tries is rare at 56×56
        Assert.InRange(rects.Count / (double)b, 0.25 - 0.04, 0.25 + 0.01);
        Assert.Equal(rects.Count, rects.Select(r => r.Image).Distinct().Count());
        double sum = 0, sumSq = 0;
        long noisy = 0;
        var byImage = rects.ToDictionary(r => r.Image);
        for (int i = 0; i < b; i++)
            for (int ch = 0; ch < c; ch++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                    {
                        float v = pixels.Data[((i * c + ch) * h + y) * w + x];
                        if (byImage.TryGetValue(i, out var r) && Inside(r, y, x))
                        {
                            Assert.NotEqual(Marker, v);
                            (sum, sumSq, noisy) = (sum + v, sumSq + (double)v * v, noisy + 1);
                        }
                        else Assert.Equal(Marker, v);   // outside every rectangle nothing changes
                    }
        // per-pixel N(0, 1): over ~1e6 draws the mean is within 0.01 and the variance within 0.01 of the truth
        double mean = sum / noisy, variance = sumSq / noisy - mean * mean;
        Assert.True(noisy > 500_000, $"{noisy} noisy pixels");
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(variance, 0.99, 1.01);
        foreach (var r in rects)
        {
            double area = (double)r.Area / (h * w), aspect = (double)r.Height / r.Width;
            // rounding each side to a whole pixel moves the area and aspect a little beyond the drawn ones
            Assert.InRange(area, 0.02 * 0.8, 1.0 / 3 * 1.1);
            Assert.InRange(aspect, 0.3 * 0.8, 1 / 0.3 * 1.25);
            Assert.True(r.Height < h && r.Width < w && r.Top + r.Height <= h && r.Left + r.Width <= w, $"{r} fits");
        }
        // the draws cover the range: small and large, tall and wide rectangles all occur
        Assert.Contains(rects, r => r.Area < 0.05 * h * w);
        Assert.Contains(rects, r => r.Area > 0.28 * h * w);
        Assert.Contains(rects, r => r.Height > 2 * r.Width);
        Assert.Contains(rects, r => r.Width > 2 * r.Height);
    }

    [Fact]
    public void TheSameGeneratorGivesTheSameErasureAndTheProbabilityIsHonoured()
    {
        var erasing = new RandomErasing { Probability = 1 };
        var a = Constant(16, 1, 20, 20);
        var b = Constant(16, 1, 20, 20);
        Assert.Equal(erasing.Apply(a, new Generator(5)), erasing.Apply(b, new Generator(5)));
        Assert.Equal(a.ToArray(), b.ToArray());
        Assert.Equal(16, erasing.Apply(Constant(16, 1, 20, 20), new Generator(6)).Count);
        var untouched = Constant(16, 1, 20, 20);
        Assert.Empty((erasing with { Probability = 0 }).Apply(untouched, new Generator(7)));
        Assert.All(untouched.ToArray(), v => Assert.Equal(Marker, v));
        // a rectangle that never fits (area above the whole image) leaves the image as it is after ten tries
        Assert.Empty(new RandomErasing { Probability = 1, MinArea = 1, MaxArea = 1, MinAspect = 1, MaxAspect = 1 }.Apply(Constant(4, 1, 8, 8), new Generator(8)));
    }

    [Fact]
    public void BadSettingsAreRejected()
    {
        Assert.Contains("probability 1.5", Assert.Throws<ArgumentException>(() => new RandomErasing { Probability = 1.5 }.Validate()).Message);
        Assert.Contains("area range", Assert.Throws<ArgumentException>(() => new RandomErasing { MinArea = 0.5, MaxArea = 0.2 }.Validate()).Message);
        Assert.Contains("aspect range", Assert.Throws<ArgumentException>(() => new RandomErasing { MinAspect = 0 }.Validate()).Message);
        Assert.Contains("random erasing: probability -0.1", Assert.Throws<ArgumentException>(() => new ProbeOptions { ClassifierErasing = new() { Probability = -0.1 } }.Validate()).Message);
        Assert.Throws<ArgumentException>(() => new RandomErasing().Apply(Tensor.Zeros(4, 4), new Generator(1)));
    }

    [Fact]
    public void TheClassifierTrainerErasesItsMiniBatchesDeterministicallyAndOnlyWhenAsked()
    {
        List<double> Losses(RandomErasing? erasing, out long erased)
        {
            var trainer = new ClassifierTrainer(new DeitClassifier(ProbeTestData.Narrow, 10, new Generator(2)), data.Train, 4, 8, new OptimizerSettings { LearningRate = 1e-3, WeightDecay = 0.05, WarmupSteps = 1 }, 9, erasing);
            var losses = Enumerable.Range(0, 4).Select(_ => trainer.TrainStep()).ToList();
            erased = trainer.ErasedImages;
            return losses;
        }
        var plain = Losses(null, out long none);
        var off = Losses(new RandomErasing { Probability = 0 }, out long zero);
        var all = Losses(new RandomErasing { Probability = 1 }, out long every);
        var again = Losses(new RandomErasing { Probability = 1 }, out _);
        Assert.Equal((0L, 0L, 32L), (none, zero, every));
        Assert.Equal(plain, off);        // p = 0 draws a number per image but the mini-batches are the ones without erasing
        Assert.Equal(all, again);
        Assert.NotEqual(plain[0], all[0]);
    }
}
