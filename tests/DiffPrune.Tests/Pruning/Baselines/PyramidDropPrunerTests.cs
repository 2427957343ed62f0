using DiffPrune.Models.Vlm;
using DiffPrune.Models.Llama;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors;
using DiffPrune.Tests.Models;

namespace DiffPrune.Tests.Pruning.Baselines;

public class PyramidDropPrunerTests
{
    [Fact]
    public void StagesSitAtQuartersOfTheDepthAndShrinkGeometricallyToK()
    {
        var pdrop = new PyramidDropPruner(64, 576, depth: 32);
        Assert.Equal([8, 16, 24], pdrop.Droppers.Select(d => d.Layer));
        Assert.Equal([277, 133, 64], pdrop.StageCounts);
        Assert.Equal("L8–L24", pdrop.Location);
        Assert.Equal([1, 2, 3], new PyramidDropPruner(5, 16, depth: 4).Droppers.Select(d => d.Layer));
        var shallow = new PyramidDropPruner(5, 16, depth: 2); // every boundary falls on layer 1: one stage keeping K
        Assert.Equal([1], shallow.Droppers.Select(d => d.Layer));
        Assert.Equal([5], shallow.StageCounts);
    }

    [Fact]
    public void RanksByTheLastInstructionTokensAttentionInTheStageLayer()
    {
        var vlm = BaselineFixtures.DeepVlm(3);
        using var _ = Autograd.NoGrad();
        var input = new VlmInference(vlm).Prepare(BaselineFixtures.Pixels(vlm, 2, 4), [BaselineFixtures.Texts[0], BaselineFixtures.Texts[1]]);
        var full = vlm.LanguageModel.Forward(input with { OutputAttentions = true });
        var spy = new SpyDropper(4);
        vlm.LanguageModel.Forward(input with { Droppers = [spy] });
        int t = input.Positions.Length / 2;
        for (int b = 0; b < 2; b++)
        {
            // what layer 4 itself computes: the last token's row, heads averaged, over the image tokens
            var span = input.ImageSpans![b];
            var probs = full.Attentions![4];
            var expected = Enumerable.Range(0, span.Length).Select(j => Enumerable.Range(0, probs.Shape[1]).Average(h => probs[b, h, t - 1, span.Start + j])).Select(v => (float)v).ToArray();
            Tolerance.AssertClose(expected, PyramidDropPruner.LastTokenAttention(spy.Seen!, 4, b), atol: 1e-5, rtol: 0, what: $"sample {b}");
        }

        var pdrop = new PyramidDropPruner(9, 36, depth: 8);
        var stage = pdrop.Droppers.Single(d => d.Layer == 4);
        var decision = stage.Decide(spy.Seen!);
        for (int b = 0; b < 2; b++)
        {
            var scores = PyramidDropPruner.LastTokenAttention(spy.Seen!, 4, b);
            int count = pdrop.StageCounts[1];
            var top = Enumerable.Range(0, 36).OrderByDescending(j => scores[j]).Take(count).Select(j => input.ImageSpans![b].Start + j).ToHashSet();
            var keptImage = decision.Keep[b].Where(j => input.ImageSpans![b].Contains(j)).ToHashSet();
            Assert.Equal(top, keptImage);
        }
    }
}
