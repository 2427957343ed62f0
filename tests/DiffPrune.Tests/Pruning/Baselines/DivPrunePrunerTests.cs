using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Pruning.Baselines;

public class DivPrunePrunerTests
{
    /// <summary>Unit vectors at the given angles (degrees).</summary>
    static Tensor Directions(params double[] degrees) =>
        BaselineFixtures.Matrix(degrees.Select(a => new[] { (float)Math.Cos(a * Math.PI / 180), (float)Math.Sin(a * Math.PI / 180) }).ToArray());

    [Fact]
    public void StartsWithTheLoneliestTokenThenAddsTheFarthestFromThoseKept()
    {
        // 0°, 10°, 20° huddle; 180° and 185° pair up; 90° stands alone (its nearest neighbour, 20°, is 70° away).
        var features = Directions(0, 10, 20, 90, 180, 185);
        // then 185° (95° from 90°, the farthest), then 0° (90° from 90°, 175° from 185°)
        Assert.Equal([3, 5, 0], DivPrunePruner.Select(features, 3));
        Assert.Equal([3, 5, 0, 2], DivPrunePruner.Select(features, 4));
    }

    [Fact]
    public void NeverKeepsATokenTwiceEvenAmongDuplicates()
    {
        var features = Directions(0, 0, 0, 0);
        Assert.Equal([0, 1, 2, 3], DivPrunePruner.Select(features, 4));
    }

    [Fact]
    public void PrunesEachImageOnItsProjectedTokens()
    {
        var vlm = BaselineFixtures.ShallowVlm(2);
        using var _ = Autograd.NoGrad();
        var tokens = vlm.EncodeImages(BaselineFixtures.Pixels(vlm, 2, 3));
        var kept = new DivPrunePruner(5, vlm.Projector).Prune(tokens);
        var projected = vlm.Projector.Forward(tokens.Features);
        for (int b = 0; b < 2; b++)
            Assert.Equal(DivPrunePruner.Select(projected.Slice(0, b, b + 1).Reshape(16, -1), 5).Order(), kept.PatchIndex[b]);
        Assert.Contains("K = 7, N = 6", Assert.Throws<ArgumentOutOfRangeException>(() => DivPrunePruner.Select(Directions(0, 1, 2, 3, 4, 5), 7)).Message);
    }
}
