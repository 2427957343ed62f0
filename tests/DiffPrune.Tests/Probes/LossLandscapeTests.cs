using DiffPrune.Probes;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Probes;

public class LossLandscapeTests
{
    static double Norm(ReadOnlySpan<float> v)
    {
        double s = 0;
        foreach (float x in v) s += (double)x * x;
        return Math.Sqrt(s);
    }

    [Fact]
    public void FilterNormalisationGivesEveryFilterItsReferenceNormAndBiasesNoDirection()
    {
        var weight = Tensor.Randn(new Generator(1), [3, 5], 0f, 2f);
        weight.Data.Slice(5, 5).Fill(0.1f);                              // filters of very different norms
        var conv = Tensor.Randn(new Generator(2), [2, 1, 2, 2]);          // a conv filter bank: one filter per output channel
        var bias = Tensor.Randn(new Generator(3), [3]);
        var d = LossLandscape.FilterNormalizedDirection([weight, conv, bias], new Generator(4));
        for (int r = 0; r < 3; r++) Assert.Equal(Norm(weight.Data.Slice(r * 5, 5)), Norm(d[0].Data.Slice(r * 5, 5)), 5);
        for (int r = 0; r < 2; r++) Assert.Equal(Norm(conv.Data.Slice(r * 4, 4)), Norm(d[1].Data.Slice(r * 4, 4)), 5);
        Assert.All(d[2].ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal(conv.Shape, d[1].Shape);
        // a direction, not a copy: it is not parallel to the weights
        double dot = 0;
        for (int i = 0; i < 5; i++) dot += weight.Data[i] * d[0].Data[i];
        Assert.True(Math.Abs(dot) < 0.99 * Norm(weight.Data[..5]) * Norm(d[0].Data[..5]));
    }

    [Fact]
    public void APointOfTheSliceMovesTheWeightsThereAndRestoresThemBitForBit()
    {
        var w = Tensor.Randn(new Generator(5), [2, 3]);
        var before = w.ToArray();
        var d1 = new[] { Tensor.Randn(new Generator(6), [2, 3]) };
        var d2 = new[] { Tensor.Randn(new Generator(7), [2, 3]) };
        double seen = LossLandscape.At([w], d1, d2, 0.5, -2, () => w.Data[4]);
        Assert.Equal(before[4] + 0.5 * d1[0].Data[4] - 2 * d2[0].Data[4], seen, 5);
        Assert.Equal(before, w.ToArray());
        Assert.Throws<InvalidOperationException>(() => LossLandscape.At([w], d1, d2, 1, 1, () => throw new InvalidOperationException()));
        Assert.Equal(before, w.ToArray());
    }

    [Fact]
    public void TheSliceOfAKnownQuadraticIsItsAnalyticValueEverywhereWithTheAnalyticVariation()
    {
        // L(θ) = Σθ² at w = [[1, 2], [3, −1]] along d1 = I, d2 = [[0, 1], [1, 0]]: ⟨w, d1⟩ = 0, ⟨w, d2⟩ = 5, |d1|² = |d2|² = 2,
        // ⟨d1, d2⟩ = 0, so L(a, b) = 15 + 10b + 2a² + 2b²
        var w = Tensor.FromArray([1, 2, 3, -1], 2, 2);
        var d1 = new[] { Tensor.FromArray([1, 0, 0, 1], 2, 2) };
        var d2 = new[] { Tensor.FromArray([0, 1, 1, 0], 2, 2) };
        double Loss() => w.ToArray().Sum(v => (double)v * v);
        double[] c = [-1, -0.5, 0, 0.5, 1];
        var grid = c.Select(a => (IReadOnlyList<double>)c.Select(b => LossLandscape.At([w], d1, d2, a, b, Loss)).ToArray()).ToArray();
        for (int i = 0; i < c.Length; i++)
            for (int j = 0; j < c.Length; j++)
                Assert.Equal(15 + 10 * c[j] + 2 * c[i] * c[i] + 2 * c[j] * c[j], grid[i][j], 6);
        // |L(b + h) − L(b)| = h(10 + 4b + 2h) for h = 0.5 at b = −1, −0.5, 0, 0.5, whatever a: 3.5, 4.5, 5.5, 6.5 (mean 5);
        // Δ²L = 4h² = 1 everywhere
        var profile = LossLandscape.StepwiseVariationProfile(grid);
        Assert.Equal(4, profile.Length);
        for (int j = 0; j < 4; j++) Assert.Equal(3.5 + j, profile[j], 6);
        Assert.Equal(5, LossLandscape.MeanStepwiseVariation(grid), 6);
        Assert.Equal(1, LossLandscape.MeanSecondDifference(grid), 6);
        Assert.Equal([1f, 2f, 3f, -1f], w.ToArray());
    }

    [Fact]
    public void StepwiseVariationOfAPlaneIsItsSlopeAlongD2TimesTheStep()
    {
        double[] c = [-1, -0.5, 0, 0.5, 1];
        var loss = c.Select(a => (IReadOnlyList<double>)c.Select(b => 10 * a - 3 * b).ToArray()).ToArray();   // slope −3 along d2
        Assert.Equal(1.5, LossLandscape.MeanStepwiseVariation(loss), 12);
        Assert.Equal([1.5, 1.5, 1.5, 1.5], LossLandscape.StepwiseVariationProfile(loss).Select(v => Math.Round(v, 12)).ToArray());
        // a step function: one jump of 2 between the 2nd and 3rd point of each line
        var step = c.Select(_ => (IReadOnlyList<double>)new double[] { 0, 0, 2, 2, 2 }).ToArray();
        Assert.Equal([0, 2, 0, 0], LossLandscape.StepwiseVariationProfile(step));
        // second differences: zero on the plane however steep; the step's kinks give (2 + 2 + 0) / 3 per line
        Assert.Equal(0, LossLandscape.MeanSecondDifference(loss), 12);
        Assert.Equal(4.0 / 3, LossLandscape.MeanSecondDifference(step), 12);
        Assert.Throws<ArgumentException>(() => LossLandscape.MeanSecondDifference([new double[] { 1, 2 }]));
    }
}
