using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors;
using DiffPrune.Tests.Models;

namespace DiffPrune.Tests.Pruning.Baselines;

public class HoloVPrunerTests
{
    [Fact]
    public void GroupBudgetsFollowGroupScores()
    {
        // weights 3/4, 1/4, 0, 0 of K = 8: ⌊6⌋ and ⌊2⌋, nothing left over
        Assert.Equal([6, 2, 0, 0], HoloVPruner.Budgets([3, 1, 0, 0], [8, 8, 8, 8], 8));
        // weights .6, .3, .1 of K = 7: floors 4, 2, 0; the one left goes to the largest weight
        Assert.Equal([5, 2, 0], HoloVPruner.Budgets([6, 3, 1], [8, 8, 8], 7));
    }

    [Fact]
    public void WhatAGroupCannotHoldGoesToTheNextLargestWeightsSoExactlyKAreKept()
    {
        // group 0 earns 4 of K = 4 but has 2 tokens: groups 1 (then 2) take the rest, by weight
        Assert.Equal([2, 2, 0], HoloVPruner.Budgets([10, 2, 1], [2, 2, 2], 4));
        Assert.Equal([2, 1, 1], HoloVPruner.Budgets([0, 0, 0], [2, 2, 2], 4)); // all scores 0: filled in group order
    }

    [Fact]
    public void GroupsAreContiguousWithTheRemainderUpFront()
    {
        var groups = HoloVPruner.GroupMembers(18, 16);
        Assert.Equal(16, groups.Length);
        Assert.Equal([0, 1], groups[0]);
        Assert.Equal([2, 3], groups[1]);
        Assert.Equal([4], groups[2]);
        Assert.Equal(Enumerable.Range(0, 18), groups.SelectMany(g => g));
        Assert.Equal(5, HoloVPruner.GroupMembers(5, 16).Length);
    }

    [Fact]
    public void AttentiveGroupsGetTheBudgetAndKeepTheirMostAttendedTokens()
    {
        // 16 tokens in 4 groups of 4: group 2 holds most attention, group 0 some, groups 1 and 3 almost none
        float[] attention = [0.04f, 0.02f, 0.06f, 0.01f, 0.001f, 0.001f, 0.001f, 0.001f, 0.1f, 0.3f, 0.2f, 0.15f, 0.001f, 0.001f, 0.001f, 0.001f];
        var projected = Tensor.Randn(new Generator(3), [16, 6]);
        var scores = HoloVPruner.GroupMembers(16, 4).Select(g => HoloVPruner.GroupScore(g, attention, projected)).ToArray();
        // the variance term is rescaled to the attention's mean, so a group scores (1 + α)·1000·(its mean attention)
        Tolerance.AssertClose([(float)(1.09 * 32.5), (float)(1.09 * 1), (float)(1.09 * 187.5), (float)(1.09 * 1)], scores.Select(s => (float)s).ToArray(), atol: 1e-3, rtol: 0, what: "group scores");
        // K = 6: group 2 earns 5 (+1 left over) but holds 4; the 2 it cannot hold go to group 0
        Assert.Equal([2, 0, 4, 0], HoloVPruner.Budgets(scores, [4, 4, 4, 4], 6));
        // group 0 keeps its two most attended tokens (2 and 0), group 2 all of its four
        Assert.Equal([0, 2, 8, 9, 10, 11], HoloVPruner.Select(attention, projected, 6, groups: 4));
    }

    [Fact]
    public void OnTheVlmItKeepsKTokensOfEachImage()
    {
        var vlm = BaselineFixtures.ShallowVlm(5);
        using var _ = Autograd.NoGrad();
        var tokens = vlm.EncodeImages(BaselineFixtures.Pixels(vlm, 2, 6), outputAttentions: true);
        var kept = new HoloVPruner(6, vlm.Projector).Prune(tokens);
        Assert.Equal([2, 6, 24], kept.Features.Shape);
        Assert.All(kept.PatchIndex, p => Assert.Equal(6, p.Distinct().Count()));
    }
}
