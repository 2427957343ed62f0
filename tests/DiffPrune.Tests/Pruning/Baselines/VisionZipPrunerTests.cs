using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors;
using DiffPrune.Tests.Models;

namespace DiffPrune.Tests.Pruning.Baselines;

public class VisionZipPrunerTests
{
    // CLS attention picks tokens 1 and 4; of the remaining 0, 2, 3, 5, 6, 7 every third (0 and 5) is a target;
    // keys of 2 and 3 point like 5's, keys of 6 and 7 like 0's.
    static readonly float[] Cls = [0.1f, 0.9f, 0.1f, 0.1f, 0.8f, 0.1f, 0.1f, 0.1f];
    static readonly Tensor Keys = BaselineFixtures.Matrix([[1, 0], [1, 1], [0.1f, 1], [-0.2f, 1], [1, 1], [0, 1], [1, 0.2f], [1, -0.3f]]);

    [Fact]
    public void KeepsTheDominantTokensAndMergesEveryOtherIntoItsMostSimilarTarget()
    {
        var (keep, mergeInto) = VisionZipPruner.Zip(Cls, Keys, dominant: 2, contextual: 2);
        Assert.Equal([0, 1, 4, 5], keep);
        Assert.Equal([-1, -1, 3, 3, -1, -1, 0, 0], mergeInto);

        // the contextual tokens are means and stand for their target's patch
        var tokens = new VisualTokens(Tensor.FromArray(Enumerable.Range(0, 8).Select(j => (float)j).ToArray(), 1, 8, 1), [Enumerable.Range(0, 8).ToArray()], new VisionOutput([], null));
        var zipped = tokens.Merge(new TokenDropDecision([keep], [mergeInto]));
        Assert.Equal([[0, 1, 4, 5]], zipped.PatchIndex);
        Tolerance.AssertClose([(0 + 6 + 7) / 3f, 1, 4, (5 + 2 + 3) / 3f], zipped.Features.Data, atol: 1e-6, rtol: 0, what: "zipped features");
    }

    [Fact]
    public void WithoutContextualTokensItIsTopKByClsAttention()
    {
        var (keep, mergeInto) = VisionZipPruner.Zip(Cls, Keys, dominant: 3, contextual: 0);
        Assert.Equal([0, 1, 4], keep); // 0.1 ties go to the lower index
        Assert.All(mergeInto, m => Assert.Equal(-1, m));
    }

    [Fact]
    public void SplitsTheBudgetAsPublished()
    {
        var tower = BaselineFixtures.ShallowVlm().VisionTower.VisionModel;
        Assert.Equal((54, 10), (new VisionZipPruner(64, tower).Dominant, new VisionZipPruner(64, tower).Contextual));
        Assert.Equal((108, 20), (new VisionZipPruner(128, tower).Dominant, new VisionZipPruner(128, tower).Contextual));
        Assert.Equal((162, 30), (new VisionZipPruner(192, tower).Dominant, new VisionZipPruner(192, tower).Contextual));
    }

    [Fact]
    public void OnTheVlmItKeepsExactlyKWithTheTopClsTokensAmongThem()
    {
        var vlm = BaselineFixtures.ShallowVlm(4);
        using var _ = Autograd.NoGrad();
        var tokens = vlm.EncodeImages(BaselineFixtures.Pixels(vlm, 2, 5), outputAttentions: true);
        var pruner = new VisionZipPruner(7, vlm.VisionTower.VisionModel);
        var zipped = pruner.Prune(tokens);
        Assert.Equal([2, 7, 24], zipped.Features.Shape);
        var cls = tokens.Vision!.Attentions![^1];
        for (int b = 0; b < 2; b++)
        {
            var byCls = Enumerable.Range(0, 16).OrderByDescending(j => Enumerable.Range(0, 3).Sum(h => cls[b, h, 0, 1 + j])).Take(pruner.Dominant);
            Assert.Subset(zipped.PatchIndex[b].ToHashSet(), byCls.ToHashSet());
            Assert.Equal(zipped.PatchIndex[b].Order(), zipped.PatchIndex[b]);
        }
        Assert.Contains("attentions", Assert.Throws<ArgumentException>(() => pruner.Prune(vlm.EncodeImages(BaselineFixtures.Pixels(vlm, 1, 5)))).Message);
    }
}
