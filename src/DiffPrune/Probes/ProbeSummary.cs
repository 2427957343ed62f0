namespace DiffPrune.Probes;

/// <summary>Fig. 4b at one keep fraction over the seeds: top-1 of hard top-K and of VP-Noise under random scores, and their gap.</summary>
/// <param name="KeepFraction">Fraction of the N tokens kept.</param>
/// <param name="HardTop1">Top-1 with hard top-K (fraction of test images).</param>
/// <param name="VpTop1">Top-1 with VP-Noise.</param>
/// <param name="Top1Gap">VP-Noise minus hard top-K, in percentage points (the paper: "nearly identical", i.e. about 0).</param>
/// <param name="VpBelowHard">Seeds in which VP-Noise scored lower than hard top-K.</param>
public sealed record GapSummary(double KeepFraction, SeedStatistic HardTop1, SeedStatistic VpTop1, SeedStatistic Top1Gap, int VpBelowHard);

/// <summary>One encoder size's measurements as mean ± sd over the seeds, the numbers the paper reports a single value of.</summary>
/// <param name="Encoder">The size.</param>
/// <param name="Top1">Unpruned test top-1 of the frozen classifier.</param>
/// <param name="DiffPruneCoherence">DiffPrune's mean gradient coherence.</param>
/// <param name="GumbelCoherence">Gumbel-STE's mean gradient coherence.</param>
/// <param name="CoherenceRatio">DiffPrune's coherence over Gumbel-STE's, per seed (paper: 28.4×).</param>
/// <param name="VariationRatio">Gumbel-STE's mean stepwise loss variation over DiffPrune's, per seed (paper: ≈24×).</param>
/// <param name="SecondDifferenceRatio">Gumbel-STE's mean |Δ²L| over DiffPrune's, per seed.</param>
/// <param name="Gaps">Fig. 4b, one row per keep fraction.</param>
public sealed record EncoderSummary(ProbeEncoder Encoder, SeedStatistic Top1, SeedStatistic DiffPruneCoherence, SeedStatistic GumbelCoherence,
    SeedStatistic CoherenceRatio, SeedStatistic VariationRatio, SeedStatistic SecondDifferenceRatio, IReadOnlyList<GapSummary> Gaps)
{
    /// <summary>Mean DiffPrune coherence over mean Gumbel-STE coherence: less sensitive than the mean of per-seed ratios to a seed whose Gumbel-STE coherence is near zero; NaN when that mean is not positive.</summary>
    public double CoherenceRatioOfMeans => GumbelCoherence.Mean > 0 ? DiffPruneCoherence.Mean / GumbelCoherence.Mean : double.NaN;

    /// <summary>The summary of one encoder size's results <paramref name="runs"/>, one per seed.</summary>
    /// <exception cref="ArgumentException">No runs, or runs of different sizes or keep fractions.</exception>
    public static EncoderSummary Of(IReadOnlyList<EncoderResult> runs)
    {
        if (runs.Count == 0) throw new ArgumentException("a summary needs at least one seed's results");
        var first = runs[0];
        if (runs.Any(r => r.Encoder != first.Encoder || !r.Accuracy.Select(a => a.KeepFraction).SequenceEqual(first.Accuracy.Select(a => a.KeepFraction))))
            throw new ArgumentException($"a summary needs every seed's results for one encoder size and the same keep fractions ({first.Encoder})");
        SeedStatistic Stat(Func<EncoderResult, double> f) => SeedStatistic.Of(runs.Select(f));
        var gaps = first.Accuracy.Select((row, k) => new GapSummary(row.KeepFraction, Stat(r => r.Accuracy[k].HardTop1), Stat(r => r.Accuracy[k].VpTop1),
            Stat(r => (r.Accuracy[k].VpTop1 - r.Accuracy[k].HardTop1) * 100), runs.Count(r => r.Accuracy[k].VpTop1 < r.Accuracy[k].HardTop1))).ToArray();
        return new EncoderSummary(first.Encoder, Stat(r => r.Top1), Stat(r => r.Scorer(ProbeMethod.DiffPrune).MeanCoherence), Stat(r => r.Scorer(ProbeMethod.GumbelSte).MeanCoherence),
            Stat(r => r.CoherenceRatio), Stat(r => r.VariationRatio), Stat(r => r.SecondDifferenceRatio), gaps);
    }
}
