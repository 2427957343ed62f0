using DiffPrune.Data.Scenes;
using DiffPrune.Eval;
using DiffPrune.Eval.Statistics;
using FsCheck;
using FsCheck.Fluent;

namespace DiffPrune.Tests.Eval.Statistics;

public class SceneBootstrapTests
{
    static SceneQuestion Gqa(int scene, int i) => new()
    {
        Suite = SceneSuite.Gqa,
        SceneSeed = scene,
        Question = $"question {i} of scene {scene}",
        Answer = "red",
        Skill = QuestionSkill.Color,
    };

    /// <summary>Scenes of two GQA questions each, the method right on <paramref name="right"/>[s] of scene s's.</summary>
    static SceneOutcome[] TwoQuestionScenes(params int[] right) =>
        right.Select((r, s) => new SceneOutcome(s, [Gqa(s, 0), Gqa(s, 1)], Enumerable.Range(0, 2).Select(i => i < r ? "red" : "blue").ToArray())).ToArray();

    static IEnumerable<int[]> AllTuples(int n) =>
        Enumerable.Range(0, (int)Math.Pow(n, n)).Select(code => Enumerable.Range(0, n).Select(i => code / (int)Math.Pow(n, i) % n).ToArray());

    [Fact]
    public void PercentileIntervalInterpolatesBetweenOrderStatistics()
    {
        // 11 samples 0..10: the 2.5 % quantile sits at h = 10 · 0.025 = 0.25, the 97.5 % one at h = 9.75
        var i = ConfidenceInterval.Percentile(Enumerable.Range(0, 11).Select(v => (double)v).Reverse())!.Value;
        Assert.Equal(0.25, i.Lo, 12);
        Assert.Equal(9.75, i.Hi, 12);
        Assert.Equal(new ConfidenceInterval(3, 3), ConfidenceInterval.Percentile([3.0, double.NaN]));
        Assert.Null(ConfidenceInterval.Percentile([double.NaN]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConfidenceInterval.Percentile([1.0], 1.0));
    }

    [Fact]
    public void TheExactBootstrapOfThreeScenesGivesTheHandComputedInterval()
    {
        // Three scenes of two GQA questions. Vanilla gets 2, 2 and 1 right; the method 2, 1 and 0. A resample drawing
        // scene 0 a times, scene 1 b times and scene 2 c times has retention (2a + b) / (2a + 2b + c): the denominator
        // is resampled too. Over all 27 equally likely index tuples (multinomial weights in brackets):
        //   (3,0,0)[1] 1   (0,3,0)[1] 1/2   (0,0,3)[1] 0   (2,1,0)[3] 5/6   (2,0,1)[3] 4/5
        //   (1,2,0)[3] 2/3 (0,2,1)[3] 2/5   (1,0,2)[3] 1/2 (0,1,2)[3] 1/4   (1,1,1)[6] 3/5
        // Sorted: 0, 1/4 ×3, 2/5 ×3, 1/2 ×4, 3/5 ×6, 2/3 ×3, 4/5 ×3, 5/6 ×3, 1. The 2.5 % quantile lies at h = 26 · 0.025
        // = 0.65, between 0 and 1/4: 0.1625; the 97.5 % one at h = 25.35, between 5/6 and 1: 5/6 + 0.35 / 6 = 0.891667.
        var bootstrap = SceneBootstrap.FromResamples(3, AllTuples(3).ToArray());
        Assert.Equal(27, bootstrap.Resamples);
        var vanilla = bootstrap.Resample(SceneTallies.From(TwoQuestionScenes(2, 2, 1)));
        var method = bootstrap.Resample(SceneTallies.From(TwoQuestionScenes(2, 1, 0)));
        var samples = method.Retention(vanilla);
        double[] expected = [0, 0.25, 0.25, 0.25, 0.4, 0.4, 0.4, 0.5, 0.5, 0.5, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 2 / 3.0, 2 / 3.0, 2 / 3.0, 0.8, 0.8, 0.8, 5 / 6.0, 5 / 6.0, 5 / 6.0, 1];
        var sorted = samples.Order().ToArray();
        Assert.Equal(expected.Length, sorted.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], sorted[i], 12);
        var interval = ConfidenceInterval.Percentile(samples)!.Value;
        Assert.Equal(0.1625, interval.Lo, 12);
        Assert.Equal(5 / 6.0 + 0.35 / 6, interval.Hi, 12);
        Assert.Equal(3 / 5.0, method.PointValue(SceneSuite.Gqa) / vanilla.PointValue(SceneSuite.Gqa), 12);
        // suites without items score NaN and drop out of the average, as a suite Vanilla scores 0 on does
        Assert.True(double.IsNaN(method.PointValue(SceneSuite.Pope)));
    }

    [Fact]
    public void EveryResampleEqualsScoringTheResampledQuestionsDirectly()
    {
        var examples = SyntheticOutcomes.Examples;
        var vanilla = SyntheticOutcomes.Random(examples, s => 0.85, 1);
        var method = SyntheticOutcomes.Random(examples, s => 0.3 + 0.05 * s, 2);
        var bootstrap = new SceneBootstrap(examples.Length, resamples: 6, seed: 5);
        var samples = bootstrap.Resample(SceneTallies.From(method)).Retention(bootstrap.Resample(SceneTallies.From(vanilla)));
        for (int r = 0; r < bootstrap.Resamples; r++)
        {
            var (vi, vp) = SyntheticOutcomes.Resampled(vanilla, bootstrap.Counts(r));
            var (mi, mp) = SyntheticOutcomes.Resampled(method, bootstrap.Counts(r));
            var reference = SyntheticOutcomes.Score(vi, vp).Where(p => p.Value > 0).ToDictionary();
            Assert.Equal(SceneBench.AverageRetention(SyntheticOutcomes.Score(mi, mp), reference), samples[r], 12);
        }
    }

    [Fact]
    public void ResamplesAreSeededAndDrawAsManyScenesAsThereAre()
    {
        var a = new SceneBootstrap(7, 50, seed: 3);
        var b = new SceneBootstrap(7, 50, seed: 3);
        var c = new SceneBootstrap(7, 50, seed: 4);
        Assert.All(Enumerable.Range(0, 50), r => Assert.Equal(7, a.Counts(r).ToArray().Sum()));
        Assert.True(Enumerable.Range(0, 50).All(r => a.Counts(r).SequenceEqual(b.Counts(r))));
        Assert.False(Enumerable.Range(0, 50).All(r => a.Counts(r).SequenceEqual(c.Counts(r))));
        // each scene is drawn once per resample on average
        var big = new SceneBootstrap(5, 4000, seed: 1);
        for (int s = 0; s < 5; s++) Assert.InRange(Enumerable.Range(0, 4000).Average(r => big.Counts(r)[s]), 0.95, 1.05);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SceneBootstrap(0));
        Assert.Throws<ArgumentException>(() => SceneBootstrap.FromResamples(2, [[0, 2]]));
        Assert.Throws<ArgumentException>(() => a.Resample(SceneTallies.From(TwoQuestionScenes(1, 1))));
    }

    [Fact]
    public void TheIntervalHoldsThePointEstimate() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, 1_000_000)), seed =>
        {
            var examples = SyntheticOutcomes.Examples;
            var vanilla = SyntheticOutcomes.Random(examples, s => 0.9, (ulong)seed);
            double skill = seed % 97 / 100.0;
            var method = SyntheticOutcomes.Random(examples, s => skill, (ulong)seed + 1);
            var bootstrap = new SceneBootstrap(examples.Length, 400, (ulong)seed);
            var v = bootstrap.Resample(SceneTallies.From(vanilla));
            var m = bootstrap.Resample(SceneTallies.From(method));
            double point = SceneBench.AverageRetention(SceneSuites.All.ToDictionary(s => s, m.PointValue),
                SceneSuites.All.Where(s => v.PointValue(s) > 0).ToDictionary(s => s, v.PointValue));
            return ConfidenceInterval.Percentile(m.Retention(v))!.Value.Contains(point);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(25));

    [Fact]
    public void AMethodPairedWithItselfDiffersByExactlyZero() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, 1_000_000)), seed =>
        {
            var examples = SyntheticOutcomes.Examples;
            var bootstrap = new SceneBootstrap(examples.Length, 300, (ulong)seed);
            var v = bootstrap.Resample(SceneTallies.From(SyntheticOutcomes.Random(examples, s => 0.9, (ulong)seed)));
            var samples = bootstrap.Resample(SceneTallies.From(SyntheticOutcomes.Random(examples, s => 0.5, (ulong)seed + 1))).Retention(v);
            var d = PairedDifference.Of("itself", 0, samples, samples)!;
            return d.Interval == new ConfidenceInterval(0, 0) && d.Verdict == ComparisonVerdict.Tie;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(20));

    [Fact]
    public void PairingNarrowsTheDifferenceOfPositivelyCorrelatedMethods()
    {
        // Scenes are easy (0.9) or hard (0.2) for A. B answers as A except on 5 % of the questions, so their per-scene
        // scores move together. U has B's mix of easy and hard scenes but on a fixed permutation of them, unrelated to
        // A's scene by scene. Same kind of method, same spread; the paired difference of the correlated pair is narrower.
        var examples = SyntheticOutcomes.Examples;
        double[] skill = [0.9, 0.2, 0.2, 0.9, 0.9, 0.2, 0.9, 0.2, 0.2, 0.9, 0.2, 0.9];
        var permutation = new DiffPrune.Tensors.Generator(3).Permutation(examples.Length);
        var vanilla = SyntheticOutcomes.Random(examples, s => 0.95, 1);
        var a = SyntheticOutcomes.Random(examples, s => skill[s], 2);
        var flips = new DiffPrune.Tensors.Generator(4);
        var b = a.Select(o => o with { Predictions = o.Items.Select((q, i) => flips.NextDouble() < 0.05 ? SyntheticOutcomes.Wrong(q) : o.Predictions[i]).ToArray() }).ToArray();
        var u = SyntheticOutcomes.Random(examples, s => skill[permutation[s]], 5);
        var bootstrap = new SceneBootstrap(examples.Length, 2000, seed: 9);
        var v = bootstrap.Resample(SceneTallies.From(vanilla));
        var ra = bootstrap.Resample(SceneTallies.From(a)).Retention(v);
        var rb = bootstrap.Resample(SceneTallies.From(b)).Retention(v);
        var ru = bootstrap.Resample(SceneTallies.From(u)).Retention(v);
        double paired = PairedDifference.Of("A", 0, rb, ra)!.Interval.Width, unrelated = PairedDifference.Of("A", 0, ru, ra)!.Interval.Width;
        Assert.True(paired < unrelated / 2, $"paired width {paired:F4}, unrelated {unrelated:F4}");
        // with the same samples unpaired (B's resamples shifted by one), the correlated pair's interval widens as well
        var shifted = rb.Skip(1).Append(rb[0]).ToArray();
        Assert.True(paired < PairedDifference.Of("A", 0, shifted, ra)!.Interval.Width / 2);
    }
}
