using System.Globalization;
using System.Text;

namespace DiffPrune.Probes;

/// <summary>
/// The report's headline: every number the paper gives one value of (coherence ratio, loss-variation ratio, Fig. 4b's gaps),
/// as mean ± sd over the probe's seeds with each seed's value, next to the paper's figure, and a reading of the agreement.
/// </summary>
public static class ProbeSeedsSection
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The summary of each encoder size of <paramref name="result"/>, smallest first.</summary>
    public static IReadOnlyList<EncoderSummary> Summaries(ProbeResult result) =>
        Enumerable.Range(0, result.Encoders.Count).Select(e => EncoderSummary.Of(result.AcrossSeeds(e))).ToArray();

    /// <summary>The section's Markdown: one table row per (encoder, measurement), then the reading.</summary>
    public static string Markdown(ProbeResult result)
    {
        var summaries = Summaries(result);
        int seeds = result.Seeds.Count;
        var md = new StringBuilder();
        md.Append(Inv, $"## Summary over {seeds} seed{(seeds == 1 ? "" : "s")} ({string.Join(", ", result.Seeds.Select(s => s.Seed))}): mean ± sd, next to the paper\n\n");
        md.Append("Each seed trains its own classifiers and scorers and draws its own mini-batches, noise and slice directions; sd is the sample standard deviation over seeds. ");
        md.Append("Ratios are taken per seed, then averaged; a seed whose denominator is not positive leaves its ratio undefined and is counted out.\n\n");
        md.Append("| encoder | measurement | mean ± sd | per seed | paper (DeiT-Base) |\n| --- | --- | --- | --- | --- |\n");
        for (int e = 0; e < summaries.Count; e++)
        {
            var (s, runs, name) = (summaries[e], result.AcrossSeeds(e), summaries[e].Encoder.Name);
            void Row(string measurement, SeedStatistic stat, string format, string unit, Func<EncoderResult, double> perSeed, string paper) =>
                md.Append(Inv, $"| {name} | {measurement} | {stat.Format(format, unit)} | {string.Join(", ", runs.Select(r => Value(perSeed(r), format)))} | {paper} |\n");
            Row("classifier test top-1 (%)", Scaled(s.Top1), "F1", " %", r => r.Top1 * 100, "—");
            Row("DiffPrune coherence", s.DiffPruneCoherence, "F3", "", r => r.Scorer(ProbeMethod.DiffPrune).MeanCoherence, "—");
            Row("Gumbel-STE coherence", s.GumbelCoherence, "F3", "", r => r.Scorer(ProbeMethod.GumbelSte).MeanCoherence, "—");
            Row(string.Create(Inv, $"**coherence ratio** DiffPrune / Gumbel-STE (ratio of the means: {ProbeReport.RatioText(s.CoherenceRatioOfMeans)})"), s.CoherenceRatio, "F1", "×", r => r.CoherenceRatio,
                string.Create(Inv, $"**{ProbeReport.PaperCoherenceRatio}×**"));
            Row("**loss-variation ratio** Gumbel-STE / DiffPrune, mean \\|ΔL\\|", s.VariationRatio, "F1", "×", r => r.VariationRatio, string.Create(Inv, $"**≈{ProbeReport.PaperVariationRatio}×**"));
            Row("roughness ratio, mean \\|Δ²L\\|", s.SecondDifferenceRatio, "F1", "×", r => r.SecondDifferenceRatio, "—");
            for (int k = 0; k < s.Gaps.Count; k++)
            {
                var g = s.Gaps[k];
                int row = k;
                Row(string.Create(Inv, $"**Fig. 4b** top-1, VP-Noise − hard top-K, {g.KeepFraction * 100:0.#} % kept (pts; VP-Noise lower in {g.VpBelowHard} of {runs.Count})"), g.Top1Gap, "+0.0;-0.0;0", "",
                    r => (r.Accuracy[row].VpTop1 - r.Accuracy[row].HardTop1) * 100, "**≈ 0** (\"nearly identical\")");
            }
        }
        md.Append('\n').Append(Reading(result)).Append("\n\n");
        return md.ToString();
    }

    static SeedStatistic Scaled(SeedStatistic s) => s with { Mean = s.Mean * 100, Sd = s.Sd * 100 };

    static string Value(double v, string format) => double.IsFinite(v) ? v.ToString(format, Inv) : "undef.";

    /// <summary>The agreement with the paper over all seeds, in words: how often each claimed direction holds and how far the means lie from the paper's figures.</summary>
    public static string Reading(ProbeResult result)
    {
        var summaries = Summaries(result);
        var all = Enumerable.Range(0, summaries.Count).SelectMany(result.AcrossSeeds).ToArray();
        var sb = new StringBuilder("Reading over seeds: ");
        // counted on the coherences themselves: a seed whose Gumbel-STE coherence is ≤ 0 has no ratio but still agrees
        int coherent = all.Count(r => r.Scorer(ProbeMethod.DiffPrune).MeanCoherence > r.Scorer(ProbeMethod.GumbelSte).MeanCoherence);
        sb.Append(Inv, $"DiffPrune's gradients are more coherent than Gumbel-STE's in {coherent} of {all.Length} (seed, size) runs; ");
        sb.Append(string.Join("; ", summaries.Select(s => string.Create(Inv, $"{s.Encoder.Name}: ratio {s.CoherenceRatio.Format("F1", "×")}"))));
        sb.Append(Inv, $" against the paper's {ProbeReport.PaperCoherenceRatio}× on an encoder more than a thousand times larger. ");
        int rougher = all.Count(r => r.Landscape(ProbeMethod.GumbelSte).MeanVariation > r.Landscape(ProbeMethod.DiffPrune).MeanVariation);
        sb.Append(Inv, $"Gumbel-STE's loss slice varies more per grid step than DiffPrune's in {rougher} of {all.Length} runs; ");
        sb.Append(string.Join("; ", summaries.Select(s => string.Create(Inv, $"{s.Encoder.Name}: ratio {s.VariationRatio.Format("F1", "×")}"))));
        sb.Append(Inv, $" against ≈{ProbeReport.PaperVariationRatio}×. ");
        var gaps = summaries.SelectMany(s => s.Gaps.Select(g => (s.Encoder.Name, Gap: g))).ToArray();
        int cases = gaps.Length;
        int near = gaps.Count(g => Math.Abs(g.Gap.Top1Gap.Mean) <= ProbeReport.NearlyIdenticalPoints);
        int lower = gaps.Count(g => g.Gap.Top1Gap.Mean < 0);
        var worst = gaps.MaxBy(g => Math.Abs(g.Gap.Top1Gap.Mean));
        sb.Append(Inv, $"Fig. 4b: the mean top-1 gap (VP-Noise − hard top-K) lies within ±{ProbeReport.NearlyIdenticalPoints:F0} points, the report's reading of \"nearly identical\", in {near} of {cases} (size, keep) cases; ");
        sb.Append(Inv, $"VP-Noise is lower on average in {lower} of {cases}; the largest mean gap is {worst.Gap.Top1Gap.Format("+0.0;-0.0;0")} points ({worst.Name} at {worst.Gap.KeepFraction * 100:0.#} % kept).");
        return sb.ToString();
    }
}
