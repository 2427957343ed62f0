using DiffPrune.Models.Llama;
using DiffPrune.Pruning.Baselines;

namespace DiffPrune.Tests.Pruning.Baselines;

public class DartPrunerTests
{
    // 12 tokens: text 0–1, image 2–9, question 10–11. Key L1 norms make 2, 4, 6, 8 the image pivots.
    static readonly double[] KeyNorms = [0, 0, 5, 1, 4, 1, 3, 1, 2, 1, 9, 8];
    static readonly ImageSpan Image = new(2, 8);

    static readonly DiffPrune.Tensors.Tensor Hidden = BaselineFixtures.Matrix([
        [0, 0], [0, 0],
        [1, 0], [1, 0.1f],   // pivot 2 and a near-duplicate of it
        [0, 1], [-1, 0],     // pivot 4 and the token opposite pivot 2
        [1, 1], [0, 1.1f],   // pivot 6 and a near-duplicate of pivot 4
        [-1, 1], [0, -1],    // pivot 8 and the token opposite pivot 4
        [1, -1], [-1, -1]]);

    [Fact]
    public void PivotsClaimTheTokensLeastLikeThemselves()
    {
        // K = 6: the 4 image pivots stay; 2 claims go to the first pivots: 2 claims 5 (opposite), 4 claims 9 (opposite)
        Assert.Equal([2, 4, 5, 6, 8, 9], DartPruner.Select(KeyNorms, Hidden, Image, [10, 11], 6));
    }

    [Fact]
    public void SmallBudgetsKeepOnlyTheLargestKeyNorms()
    {
        Assert.Equal([2, 4, 6], DartPruner.Select(KeyNorms, Hidden, Image, [10, 11], 3));
        Assert.Equal(Enumerable.Range(2, 8), DartPruner.Select(KeyNorms, Hidden, Image, [10, 11], 8));
    }

    [Fact]
    public void TheNearDuplicateOfAPivotIsTheOneLeftOut()
    {
        // K = 7: pivots 2, 4, 6 claim 5, 9 and then 7 (cos 0.71 to pivot 6, against 0.77 for 3): only 3 stays out
        Assert.Equal([2, 4, 5, 6, 7, 8, 9], DartPruner.Select(KeyNorms, Hidden, Image, [10, 11], 7));
    }

    [Fact]
    public void DropsAtLayerTwoWithoutAttentionMaps()
    {
        var dart = new DartPruner(8, 16, depth: 32);
        Assert.Equal((2, "L2", false), (dart.Layer, dart.Location, dart.NeedsAttention));
        Assert.Equal(1, new DartPruner(8, 16, depth: 2).Layer);
    }
}
