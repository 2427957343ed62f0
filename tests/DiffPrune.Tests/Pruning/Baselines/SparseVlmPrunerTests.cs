using DiffPrune.Models.Llama;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Pruning.Baselines;

public class SparseVlmPrunerTests
{
    [Fact]
    public void ThePublishedSchedulesComeBackAtThePublishedBudgetsAndScaleWithN()
    {
        Assert.Equal([66, 30, 17], new SparseVlmPruner(64, 576, depth: 32).StageCounts);
        Assert.Equal([303, 110, 36], new SparseVlmPruner(128, 576, depth: 32).StageCounts);
        Assert.Equal([300, 200, 110], new SparseVlmPruner(192, 576, depth: 32).StageCounts);
        Assert.Equal([17, 8, 4], new SparseVlmPruner(16, 144, depth: 32).StageCounts); // 66/4, 30/4, 17/4 rounded
        var between = new SparseVlmPruner(96, 576, depth: 32).StageCounts;             // halfway between 64 and 128
        Assert.Equal(70, between[1]);                                                   // (30 + 110) / 2
        Assert.InRange(between[0], 184, 185);                                           // (66 + 303) / 2 = 184.5
        Assert.InRange(between[2], 26, 27);                                             // (17 + 36) / 2 = 26.5
    }

    [Fact]
    public void SparsifiesAfterLayersTwoSixFifteenOfThirtyTwoAndTheirShareOfShallowerLlms()
    {
        var deep = new SparseVlmPruner(64, 576, depth: 32);
        Assert.Equal([3, 7, 16], deep.Droppers.Select(d => d.Layer)); // the first layers without the dropped tokens
        Assert.Equal("L2–L15", deep.Location);
        Assert.Equal([1, 2, 3], new SparseVlmPruner(2, 16, depth: 4).Droppers.Select(d => d.Layer));
        Assert.Equal([1], new SparseVlmPruner(2, 16, depth: 2).Droppers.Select(d => d.Layer));
    }

    [Fact]
    public void RatersAreTheQuestionTokensMostRelevantToTheImage()
    {
        // text, 2 image tokens, question tokens aligned with, across and against the image
        var embeds = Tensor.FromArray([0, 0, 1, 0, 1, 0, 3, 0, 0, 3, -3, 0], 1, 6, 2);
        var input = new DecoderInput(embeds, [0, 1, 2, 3, 4, 5]) { ImageSpans = [new ImageSpan(1, 2)] };
        Assert.Equal([3], SparseVlmPruner.RaterPositions(input, 0));
    }

    [Fact]
    public void DensityPeaksFindOneCentrePerBlob()
    {
        var points = BaselineFixtures.Matrix([[0, 0], [0.1f, 0], [0, 0.1f], [5, 5], [5.1f, 5], [5, 5.1f]]);
        var (centres, assignment) = SparseVlmPruner.Cluster(points, 2);
        Assert.Equal([0, 3], centres.Order()); // the densest point of each blob (ties to the lower index)
        int first = Array.IndexOf(centres, 0), second = Array.IndexOf(centres, 3);
        Assert.Equal([first, first, first, second, second, second], assignment);
    }

    [Fact]
    public void TheRatersAttentionDecidesAndTheBestDroppedTokensAreRecycled()
    {
        // 12 tokens: text 0, image 1–8, question 9–11; only token 9 rates (its embedding is aligned with the image)
        var hidden = Tensor.Zeros(1, 12, 2);
        for (int j = 1; j <= 8; j++) hidden[0, j, 0] = 1;
        hidden[0, 9, 0] = 3; hidden[0, 10, 1] = 3; hidden[0, 11, 0] = -3;
        var attention = Tensor.Zeros(1, 1, 12, 12);
        float[] rater = [0.02f, 0.2f, 0.05f, 0.15f, 0.1f, 0.25f, 0.03f, 0.2f];
        for (int j = 0; j < 8; j++)
        {
            attention[0, 0, 9, 1 + j] = rater[j];
            attention[0, 0, 11, 1 + j] = j == 0 ? 0.9f : 0.01f; // the last token would keep image token 0: it does not rate
        }
        var context = BaselineFixtures.Context(attention, Enumerable.Repeat(true, 12).ToArray(), [new ImageSpan(1, 8)], hidden);

        var sparse = new SparseVlmPruner(2, 8, depth: 4);
        Assert.Equal(4, sparse.StageCounts[0]);
        var decision = sparse.Droppers[0].Decide(context);
        // kept: offsets 5, 1, 7, 3 (0.25, 0.2, 0.2, 0.15); dropped by rating 4, 2, 6, 0; the best 30 % + 1 (4 and 2)
        // form one cluster whose centre, offset 4 (token 5), goes on as their mean
        Assert.Equal([0, 2, 4, 5, 6, 8, 9, 10, 11], decision.Keep[0]);
        var into = Enumerable.Repeat(-1, 12).ToArray();
        into[3] = 3; // token 3 (offset 2) joins slot 3, token 5
        Assert.Equal(into, decision.MergeInto![0]);
    }
}
