using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Pruning;

public class RandomPrunerTests
{
    static VisualTokens Tokens(int b, int n) =>
        new(Tensor.Randn(new Generator(1), [b, n, 3]), Enumerable.Range(0, b).Select(_ => Enumerable.Range(0, n).ToArray()).ToArray(), new VisionOutput([], []));

    [Fact]
    public void KeepsKDistinctTokensInOrderAndVariesAcrossImages()
    {
        var kept = new RandomPruner(5, seed: 3).Prune(Tokens(4, 20));
        Assert.Equal([4, 5, 3], kept.Features.Shape);
        foreach (var idx in kept.PatchIndex)
        {
            Assert.Equal(5, idx.Distinct().Count());
            Assert.Equal(idx.Order(), idx);
        }
        Assert.True(kept.PatchIndex.Select(i => string.Join(',', i)).Distinct().Count() > 1);
        Assert.Equal(kept.PatchIndex, new RandomPruner(5, seed: 3).Prune(Tokens(4, 20)).PatchIndex); // seeded
    }

    [Fact]
    public void KOutsideOneToNIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomPruner(0, 1));
        Assert.Contains("1..N", Assert.Throws<ArgumentOutOfRangeException>(() => new RandomPruner(21, 1).Prune(Tokens(1, 20))).Message);
    }

    [Fact]
    public void OverManyDrawsEveryTokenIsKeptAboutEquallyOften()
    {
        var pruner = new RandomPruner(4, seed: 9);
        var counts = new int[16];
        for (int r = 0; r < 500; r++) foreach (int j in pruner.Prune(Tokens(1, 16)).PatchIndex[0]) counts[j]++;
        // expected 125 each; a binomial(500, 1/4) stays within ±40 with overwhelming probability
        Assert.All(counts, c => Assert.InRange(c, 85, 165));
    }
}
