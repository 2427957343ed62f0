using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Pruning.Baselines;

public class PruneSidPrunerTests
{
    /// <summary>Features whose sigmoid, centred over its channels, is <paramref name="pattern"/> (channel means of the sigmoid at 0.5).</summary>
    static float[] WithCentredSigmoid(params float[] pattern) => pattern.Select(p => (float)Math.Log((0.5 + p) / (0.5 - p))).ToArray();

    /// <summary>Two clusters of 6 identical tokens whose centred patterns are orthogonal: cluster A (tokens 0–5) on channels 0–1, B (6–11) on 2–3.</summary>
    static Tensor TwoClusters() => BaselineFixtures.Matrix(Enumerable.Range(0, 12)
        .Select(j => j < 6 ? WithCentredSigmoid(0.3f, -0.3f, 0, 0) : WithCentredSigmoid(0, 0, 0.2f, -0.2f)).ToArray());

    [Fact]
    public void TokensJoinThePrincipalComponentTheyLoadOn()
    {
        var groups = PruneSidPruner.Groups(TwoClusters(), 2);
        Assert.Equal([0, 1, 2, 3, 4, 5], groups[0]); // the larger component first
        Assert.Equal([6, 7, 8, 9, 10, 11], groups[1]);
    }

    [Fact]
    public void SuppressionKeepsTheMostAttendedOfNearDuplicates()
    {
        // tokens 0 and 1 are near-duplicates, 2 and 3 distinct; 1 is attended most, so it suppresses 0
        var similarity = BaselineFixtures.Matrix([[1, 0.99f, 0.1f, 0], [0.99f, 1, 0.2f, 0.1f], [0.1f, 0.2f, 1, 0.3f], [0, 0.1f, 0.3f, 1]]);
        float[] attention = [0.3f, 0.4f, 0.2f, 0.1f];
        Assert.Equal([1, 2, 3], PruneSidPruner.Survivors([0, 1, 2, 3], attention, similarity, threshold: 0.5));
        Assert.Equal([1, 3], PruneSidPruner.Survivors([0, 1, 2, 3], attention, similarity, threshold: 0.15));
    }

    [Fact]
    public void BudgetsFollowSurvivorSharesWithinTheCaps()
    {
        // K = 8: one each, the other 5 by survivor share 4:1:2 (cumulative 2.86, 3.57, 5 → 3, 4, 5 → 3, 1, 1);
        // caps min(5, size, survivors) = 4, 1, 2 hold only 7, so all rise by one to 5, 2, 3
        Assert.Equal([4, 2, 2], PruneSidPruner.Budgets([6, 6, 4], [4, 1, 2], 8));
        // K = 6 over sizes 3, 3: shares 3:1 of 4 → 3, 1 → 4, 2 with the one each; capped at 3 → 3, 2; the missing one fills group 1
        Assert.Equal([3, 3], PruneSidPruner.Budgets([3, 3], [3, 1], 6));
    }

    [Fact]
    public void EachPrincipalGroupGetsItsShareEvenWhenItsAttentionIsLow()
    {
        var features = TwoClusters();
        // cluster A draws all the CLS attention; plain top-8 by attention would take A's 6 tokens and two of B
        var attention = Enumerable.Range(0, 12).Select(j => j < 6 ? 0.2f - 0.01f * j : 0.01f - 0.001f * j).ToArray();
        // identical tokens suppress each other (1 survivor per group), caps rise to 4 each: 4 from A, 4 from B, by attention
        Assert.Equal([0, 1, 2, 3, 6, 7, 8, 9], PruneSidPruner.Select(features, attention, 8));
    }

    [Fact]
    public void OnTheVlmItKeepsKDistinctTokensOfEachImage()
    {
        var vlm = BaselineFixtures.ShallowVlm(7);
        using var _ = Autograd.NoGrad();
        var tokens = vlm.EncodeImages(BaselineFixtures.Pixels(vlm, 2, 8), outputAttentions: true);
        var kept = new PruneSidPruner(9).Prune(tokens);
        Assert.Equal([2, 9, 24], kept.Features.Shape);
        Assert.All(kept.PatchIndex, p => Assert.Equal(9, p.Distinct().Count()));
        Assert.Contains("K = 17, N = 16", Assert.Throws<ArgumentOutOfRangeException>(() => new PruneSidPruner(17).Prune(tokens)).Message);
    }
}
