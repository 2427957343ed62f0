using System.Text.Json;
using DiffPrune.Data.Images;
using DiffPrune.Probes;
using DiffPrune.Tests.Data;

namespace DiffPrune.Tests.Probes;

public class PilotProbeTests(SyntheticFashionMnist data) : IClassFixture<SyntheticFashionMnist>
{
    // the quick probe made smaller still: narrow encoders, a few images per measurement
    static ProbeOptions Micro => ProbeOptions.Quick with
    {
        Seeds = 1,
        Encoders = [new("a", 8, 1, 2), new("b", 8, 2, 2)],
        ClassifierSteps = 3,
        ClassifierBatch = 4,
        StandardizerImages = 8,
        ScorerSteps = 2,
        ScorerBatch = 2,
        CoherenceBatches = 2,
        CoherenceBatchSize = 2,
        LandscapeGrid = 3,
        LandscapeImages = 2,
        AccuracyImages = 4,
    };

    static List<ProbeProgress> RunAll(PilotProbe probe) => probe.Run().ToList();

    // every measured number, without the wall times
    static string Numbers(ProbeResult r) => Numbers(r.Seeds.SelectMany(s => s.Encoders));

    static string Numbers(IEnumerable<EncoderResult> encoders) => JsonSerializer.Serialize(encoders.Select(e => new
    {
        e.ClassifierLosses,
        e.Top1,
        e.Top5,
        e.RandomHardTop1,
        e.RandomVpTop1,
        e.Landscapes,
        e.Accuracy,
        Scorers = e.Scorers.Select(s => new { s.Method, s.Losses, s.Coherence, s.OwnPathTop1, s.HardTop1 }),
    }));

    [Fact]
    public void ATinyProbeIsReproducibleFromItsSeed()
    {
        var (train, test) = (data.Train, data.Test);
        var first = new PilotProbe(Micro, train, test);
        var progress = RunAll(first);
        var other = new PilotProbe(Micro with { Seed = 1 }, train, test);
        RunAll(other);
        Assert.NotEqual(Numbers(first.Result!), Numbers(other.Result!));
        // two seeds in one run: each seed's numbers are those of a run of that seed alone
        var both = new PilotProbe(Micro with { Seeds = 2 }, train, test);
        RunAll(both);
        Assert.Equal([0UL, 1UL], both.Result!.Seeds.Select(s => s.Seed));
        Assert.Equal(Numbers(first.Result!), Numbers(both.Result!.Seeds[0].Encoders));
        Assert.Equal(Numbers(other.Result!), Numbers(both.Result!.Seeds[1].Encoders));
        Assert.Equal(2 * first.TotalWork, both.TotalWork);

        // progress ends at the estimated total and never goes back
        Assert.Equal(first.TotalWork, progress[^1].Work);
        Assert.True(progress.Zip(progress.Skip(1)).All(p => p.Second.Work >= p.First.Work));
        var r = first.Result!;
        Assert.Equal((58, 196, 2), (r.Keep, r.Tokens, r.Encoders.Count));
        foreach (var e in r.Seeds[0].Encoders)
        {
            Assert.Equal(3, e.ClassifierLosses.Count);
            Assert.Equal([ProbeMethod.DiffPrune, ProbeMethod.GumbelSte], e.Scorers.Select(s => s.Method));
            Assert.All(e.Scorers, s => Assert.Equal([0, 2], s.Coherence.Select(c => c.Step)));
            // coherence is measured before the first step at τ_start and after the last at the last step's τ (τ_end)
            Assert.All(e.Scorers, s => Assert.Equal([Micro.TauStart, Micro.TauEnd], s.Coherence.Select(c => Math.Round(c.Tau, 12))));
            Assert.All(e.Scorers, s => Assert.Equal(s.Coherence.Average(c => c.Coherence), s.MeanCoherence, 12));
            Assert.All(e.Landscapes, l => Assert.Equal(3, l.Loss.Count));
            Assert.All(e.Landscapes, l => Assert.All(l.Loss.SelectMany(x => x), v => Assert.True(double.IsFinite(v))));
            Assert.Equal(3, e.Accuracy.Count);
            // the centre of each slice is the trained scorer itself
            Assert.All(e.Landscapes, l => Assert.Equal(0, l.Coordinates[1]));
        }
    }

    [Fact]
    public void TheReportHoldsTheNumbersThePaperFiguresAndDecodablePngs()
    {
        var (train, test) = (data.Train, data.Test);
        var probe = new PilotProbe(Micro, train, test);
        RunAll(probe);
        using var dir = new TempDirectory();
        string outDir = Path.Combine(dir.Path, "report");
        var files = ProbeReport.Write(outDir, probe.Result!);
        Assert.Equal(Path.Combine(outDir, "report.md"), files[0]);
        string md = File.ReadAllText(files[0]);
        Assert.Contains("28.4×", md);
        Assert.Contains("≈24×", md);
        Assert.Contains("nearly identical", md);
        Assert.Contains("Reading:", md);
        var pngs = files.Where(f => f.EndsWith(".png", StringComparison.Ordinal)).ToList();
        Assert.Contains(Path.Combine(outDir, "coherence.png"), pngs);
        Assert.Contains(Path.Combine(outDir, "landscape-b-gumbel-ste.png"), pngs);
        Assert.Contains(Path.Combine(outDir, "accuracy-a.png"), pngs);
        foreach (var png in pngs)
        {
            Assert.Contains($"({Path.GetFileName(png)})", md);
            var image = PngDecoder.Decode(png);
            Assert.True(image.Width >= 400 && image.Height >= 300, $"{png} is {image.Width}x{image.Height}");
        }
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")));
        Assert.Equal(28.4, json.RootElement.GetProperty("paper").GetProperty("coherence_ratio").GetDouble());
        Assert.Equal(2, json.RootElement.GetProperty("seeds")[0].GetProperty("encoders").GetArrayLength());
        Assert.Equal(2, json.RootElement.GetProperty("summary").GetArrayLength());
    }

    [Fact]
    public void BadOptionsNameTheOptionAtFault()
    {
        void Bad(ProbeOptions o, string expected) => Assert.Contains(expected, Assert.Throws<ArgumentException>(() => o.Validate()).Message);
        Bad(new ProbeOptions { Keep = 196 }, "keep K = 196 must be in 1..195");
        Bad(new ProbeOptions { Keep = 0 }, "keep K = 0 must be in 1..195");
        Bad(new ProbeOptions { LandscapeGrid = 20 }, "landscape grid 20 must be odd");
        Bad(new ProbeOptions { Encoders = [new("x", 30, 2, 4)] }, "heads must divide the width");
        Bad(new ProbeOptions { Encoders = [new("x", 32, 2, 2), new("x", 64, 2, 4)] }, "encoder names must differ");
        Bad(new ProbeOptions { CoherenceBatches = 1 }, "at least 2 mini-batches");
        Bad(new ProbeOptions { KeepFractions = [0.5, 1.5] }, "keep fractions");
        Bad(new ProbeOptions { TauEnd = 0 }, "τ schedule");
        Assert.Equal([0, 15, 30, 45, 60], new ProbeOptions().CoherenceSteps());
        var (train, test) = (data.Train, data.Test);
        Assert.Contains("the test split holds 60", Assert.Throws<ArgumentException>(() => new PilotProbe(Micro with { AccuracyImages = 61 }, train, test)).Message);
    }

    // a hand-made result: one coherence point per method, one slice per method, Fig. 4b at 50 % with hard top-1 0.7
    static EncoderResult Encoder(string name, double diffCoherence, double gumbelCoherence, double diffVariation, double gumbelVariation, double vpTop1)
    {
        ScorerRun Run(ProbeMethod m, double c) => new(m, [1.0], [new CoherencePoint(0, 1, c)], 0.5, 0.5);
        LandscapeSlice Slice(ProbeMethod m, double v) => new(m, 0.1, [-1.0, 0, 1], [], v, v, [v, v], v / 2);
        return new(new ProbeEncoder(name, 8, 1, 2), 100, 10, [1.0], 0.8, 0.99, 0.6, 0.3,
            [Run(ProbeMethod.DiffPrune, diffCoherence), Run(ProbeMethod.GumbelSte, gumbelCoherence)],
            [Slice(ProbeMethod.DiffPrune, diffVariation), Slice(ProbeMethod.GumbelSte, gumbelVariation)],
            [new ThrottleAccuracyRow(0.5, 98, 0.7, 0.95, vpTop1, 0.9, new(0.99, 0.01))], new Dictionary<string, double>());
    }

    [Fact]
    public void TheSummaryIsTheMeanAndSampleSdOverSeedsAndCountsUndefinedRatiosOut()
    {
        // per seed: coherence ratio 10, 6, undefined (Gumbel-STE's ≤ 0); variation ratio 10, 30, 2; Fig. 4b gap −1, −20, +5 points
        var result = new ProbeResult("", 58, 196, [
            new SeedResult(0, [Encoder("a", 0.5, 0.05, 0.01, 0.1, 0.69)], 1),
            new SeedResult(1, [Encoder("a", 0.6, 0.1, 0.01, 0.3, 0.5)], 1),
            new SeedResult(2, [Encoder("a", 0.4, -0.1, 0.01, 0.02, 0.75)], 1)], 3);
        var summary = Assert.Single(ProbeSeedsSection.Summaries(result));
        Assert.Equal(8, summary.CoherenceRatio.Mean, 9);
        Assert.Equal(Math.Sqrt(8), summary.CoherenceRatio.Sd, 9);
        Assert.Equal((2, 3), (summary.CoherenceRatio.Count, summary.CoherenceRatio.Runs));
        Assert.Equal("8.0 ± 2.8× (2 of 3 seeds defined)", summary.CoherenceRatio.Format("F1", "×"));
        Assert.Equal(14, summary.VariationRatio.Mean, 9);
        Assert.Equal(Math.Sqrt(208), summary.VariationRatio.Sd, 9);
        Assert.Equal(0.5, summary.DiffPruneCoherence.Mean, 12);
        Assert.Equal(30, summary.CoherenceRatioOfMeans, 9);   // 0.5 / (0.05 / 3)
        var gap = Assert.Single(summary.Gaps);
        Assert.Equal(-16.0 / 3, gap.Top1Gap.Mean, 9);
        Assert.Equal(Math.Sqrt(1022.0 / 6), gap.Top1Gap.Sd, 9);
        Assert.Equal(2, gap.VpBelowHard);
        Assert.Equal("-5.3 ± 13.1", gap.Top1Gap.Format("+0.0;-0.0;0"));
        Assert.Equal("+2.0", SeedStatistic.Of([2.0, double.NaN]).Format("+0.0;-0.0;0").Split(' ')[0]);
        Assert.Equal("2.0 (1 of 2 seeds defined)", SeedStatistic.Of([2.0, double.NaN]).Format("F1"));
        Assert.Equal("undefined in all 2 seeds", SeedStatistic.Of([double.NaN, double.NaN]).Format("F1"));

        string reading = ProbeSeedsSection.Reading(result);
        Assert.Contains("more coherent than Gumbel-STE's in 3 of 3 (seed, size) runs", reading);   // seed 2's ratio is undefined, its coherences agree
        Assert.Contains("varies more per grid step than DiffPrune's in 3 of 3 runs", reading);
        Assert.Contains("in 0 of 1 (size, keep) cases", reading);
        Assert.Contains("VP-Noise is lower on average in 1 of 1", reading);
        Assert.Contains("| a | **coherence ratio** DiffPrune / Gumbel-STE (ratio of the means: 30.0×) | 8.0 ± 2.8× (2 of 3 seeds defined) | 10.0, 6.0, undef. | **28.4×** |", ProbeSeedsSection.Markdown(result));
        Assert.Throws<ArgumentException>(() => EncoderSummary.Of([Encoder("a", 1, 1, 1, 1, 1), Encoder("b", 1, 1, 1, 1, 1)]));
    }

    [Fact]
    public void ReadingsFollowTheNumbers()
    {
        var agrees = new SeedResult(0, [Encoder("a", 0.5, 0.05, 0.01, 0.1, 0.69), Encoder("b", 0.5, 0.02, 0.01, 0.3, 0.68)], 1);
        Assert.Equal(10, agrees.Encoders[0].CoherenceRatio, 9);
        Assert.Equal(10, agrees.Encoders[0].VariationRatio, 9);
        Assert.Contains("the direction the paper reports", ProbeReport.CoherenceReading(agrees));
        Assert.Contains("below the paper's 28.4×", ProbeReport.CoherenceReading(agrees));
        Assert.Contains("grows with encoder size, as the paper says", ProbeReport.CoherenceReading(agrees));
        Assert.Contains("nearly identical, as the paper reports", ProbeReport.AccuracyReading(agrees));
        Assert.Contains("the direction of the paper's Fig. 2", ProbeReport.VariationReading(agrees));
        Assert.Contains("Gumbel-STE at 10.0× (a), 30.0× (b) DiffPrune's roughness", ProbeReport.VariationReading(agrees));

        var disagrees = new SeedResult(0, [Encoder("a", 0.05, 0.5, 0.1, 0.01, 0.2), Encoder("b", 0.3, -0.1, 0.1, 0.05, 0.3)], 1);
        Assert.Contains("does not hold at every size", ProbeReport.CoherenceReading(disagrees));
        Assert.Contains("undefined", ProbeReport.CoherenceReading(disagrees));
        Assert.Contains("does not hold at every size", ProbeReport.VariationReading(disagrees));
        Assert.Contains("not nearly identical", ProbeReport.AccuracyReading(disagrees));
        Assert.Contains("restricts information more", ProbeReport.AccuracyReading(disagrees));
    }
}
