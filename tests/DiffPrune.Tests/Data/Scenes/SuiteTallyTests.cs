using DiffPrune.Data.Scenes;
using DiffPrune.Tensors;
using DiffPrune.Tests.Eval.Statistics;

namespace DiffPrune.Tests.Data.Scenes;

public class SuiteTallyTests
{
    static double[] Sum(SceneSuite suite, IReadOnlyList<DiffPrune.Eval.SceneOutcome> outcomes, IReadOnlyList<int> counts)
    {
        var total = new double[SuiteTally.Length(suite)];
        for (int s = 0; s < outcomes.Count; s++)
        {
            var o = outcomes[s];
            var idx = Enumerable.Range(0, o.Items.Count).Where(i => o.Items[i].Suite == suite).ToArray();
            var t = SuiteTally.Of(suite, idx.Select(i => o.Items[i]).ToArray(), idx.Select(i => o.Predictions[i]).ToArray());
            for (int j = 0; j < t.Length; j++) total[j] += counts[s] * t[j];
        }
        return total;
    }

    [Fact]
    public void TheSyntheticAnswersAreRightAndWrongWhereTheyClaimToBe()
    {
        foreach (var item in SyntheticOutcomes.Examples.SelectMany(e => e.Items))
        {
            Assert.True(SuiteScoring.IsCorrect(item, SyntheticOutcomes.Right(item)), item.Prompt);
            Assert.False(SuiteScoring.IsCorrect(item, SyntheticOutcomes.Wrong(item)), item.Prompt);
        }
    }

    [Theory]
    [InlineData(1UL, 0.5)]
    [InlineData(2UL, 0.9)]
    [InlineData(3UL, 0.15)]
    public void SummedTalliesGiveEverySuiteScoreToTheLastBit(ulong seed, double skill)
    {
        var outcomes = SyntheticOutcomes.Random(SyntheticOutcomes.Examples, s => skill * (0.5 + s % 3 / 4.0), seed);
        var items = outcomes.SelectMany(o => o.Items).ToArray();
        var predictions = outcomes.SelectMany(o => o.Predictions).ToArray();
        var direct = SyntheticOutcomes.Score(items, predictions);
        Assert.Equal(SceneSuites.All, direct.Keys);
        foreach (var suite in SceneSuites.All)
            Assert.Equal(direct[suite], SuiteTally.Value(suite, Sum(suite, outcomes, Enumerable.Repeat(1, outcomes.Length).ToArray())));
    }

    [Fact]
    public void WeightedTalliesScoreAResampleAsIfEachCopyWereAScene()
    {
        var outcomes = SyntheticOutcomes.Random(SyntheticOutcomes.Examples, s => 0.3 + 0.05 * s, 7);
        var gen = new Generator(11);
        for (int trial = 0; trial < 5; trial++)
        {
            var counts = new int[outcomes.Length];
            for (int i = 0; i < counts.Length; i++) counts[gen.NextInt(counts.Length)]++;
            var (items, predictions) = SyntheticOutcomes.Resampled(outcomes, counts);
            var direct = SyntheticOutcomes.Score(items, predictions);
            foreach (var suite in SceneSuites.All)
                Assert.Equal(direct[suite], SuiteTally.Value(suite, Sum(suite, outcomes, counts)), 12);
        }
    }

    [Fact]
    public void NoItemsGiveNaNAndBadInputIsRejected()
    {
        Assert.True(double.IsNaN(SuiteTally.Value(SceneSuite.Gqa, new double[2])));
        Assert.True(double.IsNaN(SuiteTally.Value(SceneSuite.Mme, new double[SuiteTally.Length(SceneSuite.Mme)])));
        Assert.True(double.IsNaN(SuiteTally.Value(SceneSuite.Pope, new double[SuiteTally.Length(SceneSuite.Pope)])));
        Assert.Contains("entries", Assert.Throws<ArgumentException>(() => SuiteTally.Value(SceneSuite.Gqa, new double[3])).Message);
        var gqa = SyntheticOutcomes.Examples[0].ItemsOf(SceneSuite.Gqa).ToArray();
        Assert.Throws<ArgumentException>(() => SuiteTally.Of(SceneSuite.Gqa, gqa, []));
        Assert.Throws<ArgumentException>(() => SuiteTally.Of(SceneSuite.Sqa, gqa, gqa.Select(_ => "x").ToArray()));
    }
}
