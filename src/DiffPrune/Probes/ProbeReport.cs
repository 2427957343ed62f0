using System.Globalization;
using System.Text;
using System.Text.Json;
using DiffPrune.Reporting;
using DiffPrune.Reporting.Plots;
using DiffPrune.Tensors.IO;

namespace DiffPrune.Probes;

/// <summary>
/// Writes a pilot-probe run as report.md (the mean ± sd over seeds of each measurement next to the paper's figure, with a
/// reading of agreement, then the first seed in detail), report.json (every number of every seed) and PNG figures of the
/// first seed: coherence along training (Fig. 1c), the loss slices with contours and the
/// stepwise loss variation (Fig. 2), Fig. 4b's accuracy table as a chart, and the training curves.
/// </summary>
public static class ProbeReport
{
    /// <summary>The paper's coherence ratio, DiffPrune over Gumbel-Softmax, on DeiT-Base (Fig. 1c, §1).</summary>
    public const double PaperCoherenceRatio = 28.4;

    /// <summary>The paper's ratio of mean stepwise loss variation, Gumbel-Softmax over DiffPrune (Fig. 2c, §3.2).</summary>
    public const double PaperVariationRatio = 24;

    /// <summary>Largest top-1 gap (percentage points) between hard top-K and VP-Noise still read as "nearly identical" (Fig. 4b).</summary>
    public const double NearlyIdenticalPoints = 3;

    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    const int HeatMapContours = 12;

    /// <summary>A mean coherence below this makes a ratio over it unreliable (the report says so).</summary>
    const double SmallCoherence = 0.1;

    /// <summary>Writes the report files into <paramref name="dir"/> (created if missing) and returns the paths written.</summary>
    public static IReadOnlyList<string> Write(string dir, ProbeResult result)
    {
        Directory.CreateDirectory(dir);
        var files = new List<string>();
        string Png(string name, RasterCanvas canvas)
        {
            string path = Path.Combine(dir, name);
            canvas.SavePng(path);
            files.Add(path);
            return name;
        }
        var md = new StringBuilder();
        md.Append("# Pilot probe: gradient coherence, loss landscape, VP-Noise vs hard top-K\n\n");
        md.Append(Inv, $"Paper §3 (Fig. 1c, Fig. 2) and Fig. 4b, reproduced on Fashion-MNIST (28×28 upsampled to 56×56, 4×4 patches: N = {result.Tokens} tokens) with DeiT-style ViT classifiers trained here and then frozen. ");
        md.Append(Inv, $"A 2-layer MLP scorer sits between the patch embedding and the encoder and keeps K = {result.Keep} of {result.Tokens} tokens ({100.0 * (result.Tokens - result.Keep) / result.Tokens:F0} % pruned). ");
        md.Append(Inv, $"The classifiers train with {(result.Options.Contains("classifier_random_erasing = off", StringComparison.Ordinal) ? "no random erasing" : "random erasing as DeiT-Base did (p = 0.25 of the images get one rectangle of 2–33 % of the area, aspect 0.3–3.3, filled with per-pixel N(0, 1) noise after normalisation), so the encoder has seen noise patches before VP-Noise shows it some")}. ");
        md.Append(Inv, $"Run time {result.Seconds / 60:F1} min for {result.Seeds.Count} seed{(result.Seeds.Count == 1 ? "" : "s")}.\n\n");
        md.Append("Method of each measurement:\n\n");
        md.Append("- **DiffPrune**: s = scorer(patch tokens + positions); α = Soft Top-K(s/τ, K) (LapSum); VP-Noise √α·x + √(1−α)·ε on the per-channel standardised patch tokens, restored, all N tokens to the frozen encoder; cross-entropy. Every backward is the analytic derivative of its forward.\n");
        md.Append("- **Gumbel-STE**: mask = hard top-K of s + g (g Gumbel) in value, Soft Top-K(s + g, τ) in gradient (the project's GumbelSteThrottler, paper Eq. 1 with a soft companion); the mask weights the attention keys (DynamicViT), so the encoder sees exactly the K kept tokens while the STE gradient reaches every mask entry.\n");
        md.Append("- **Coherence**: at fixed scorer weights, the scorer gradient (all parameters flattened) on each of a fixed set of training mini-batches, each with its own fixed noise draw (ε or g, the same draws for both methods and every checkpoint), τ held at the schedule's value for that step; mean cosine over all pairs. Both scorers start from the same weights and train on the same mini-batches.\n");
        md.Append("- **Loss slice**: Li et al. (2018) filter normalisation: Gaussian directions d1, d2 per weight matrix, each row rescaled to the norm of the trained scorer's row; biases get zero direction. L(θ* + a·d1 + b·d2) on a fixed batch of training images with one fixed noise draw at every grid point and τ = the final τ. Gumbel-STE's forward is hard top-K, so its loss is piecewise constant in the scorer: flat between order swaps, jumping at them.\n");
        md.Append("- **Fig. 4b**: no scorer: random scores s ~ N(0, 1) per token; hard top-K drops all but the K highest (the ViT sees K tokens with their position embeddings); VP-Noise throttles every token with α = Soft Top-K(s/τ, K) of the same scores.\n\n");

        md.Append(ProbeSeedsSection.Markdown(result));
        var first = result.Seeds[0];
        if (result.Seeds.Count > 1)
            md.Append(Inv, $"**Seed {first.Seed} in detail.** The sections below and every figure show the first seed only; report.json holds every seed's numbers.\n\n");

        // coherence
        md.Append("## 1. Gradient-direction coherence (paper Fig. 1c: 28.4× on DeiT-Base)\n\n");
        md.Append("| encoder | params (classifier / scorer) | test top-1 | DiffPrune coherence | Gumbel-STE coherence | ratio | paper |\n| --- | --- | --- | --- | --- | --- | --- |\n");
        foreach (var e in first.Encoders)
            md.Append(Inv, $"| {e.Encoder} | {e.ClassifierParameters:N0} / {e.ScorerParameters:N0} | {e.Top1 * 100:F1} % | {e.Scorer(ProbeMethod.DiffPrune).MeanCoherence:F4} | {e.Scorer(ProbeMethod.GumbelSte).MeanCoherence:F4} | {RatioText(e.CoherenceRatio)} | {PaperCoherenceRatio}× |\n");
        md.Append('\n').Append(CoherenceReading(first)).Append("\n\n");
        md.Append("Coherence at each measurement point (scorer step, τ):\n\n| encoder | method | ").Append(string.Join(" | ", first.Encoders[0].Scorers[0].Coherence.Select(c => string.Create(Inv, $"step {c.Step} (τ {c.Tau:F2})")))).Append(" |\n|");
        md.Append(string.Concat(Enumerable.Repeat(" --- |", 2 + first.Encoders[0].Scorers[0].Coherence.Count))).Append('\n');
        foreach (var e in first.Encoders)
            foreach (var s in e.Scorers)
                md.Append(Inv, $"| {e.Encoder.Name} | {s.Method.DisplayName()} | {string.Join(" | ", s.Coherence.Select(c => c.Coherence.ToString("F4", Inv)))} |\n");
        var coherenceChart = new RasterLineChart("Cross-batch gradient coherence along scorer training", "scorer step", "mean pairwise cosine") { Markers = true };
        for (int i = 0; i < first.Encoders.Count; i++)
            foreach (var s in first.Encoders[i].Scorers)
                coherenceChart.Add($"{first.Encoders[i].Encoder.Name} {s.Method.DisplayName()}", s.Coherence.Select(c => ((double)c.Step, c.Coherence)),
                    PlotColor.Palette[(2 * i + (s.Method == ProbeMethod.DiffPrune ? 0 : 1)) % PlotColor.Palette.Count], dashed: s.Method == ProbeMethod.GumbelSte);
        md.Append(Inv, $"\n![coherence]({Png("coherence.png", coherenceChart.Draw())})\n\n");
        md.Append(Inv, $"What the scorers learned, test top-1 at K = {result.Keep}: through each method's own training path at the final τ (VP-Noise for DiffPrune, hard top-K of s + g for Gumbel-STE), and deployed (hard top-K of the learned scores, no noise), each next to random scores on the same path:\n\n");
        md.Append("| encoder | unpruned | random, VP-Noise | DiffPrune scorer, VP-Noise | random, hard top-K | DiffPrune scorer, hard top-K | Gumbel-STE scorer, own path | Gumbel-STE scorer, hard top-K |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        foreach (var e in first.Encoders)
        {
            var (d, g) = (e.Scorer(ProbeMethod.DiffPrune), e.Scorer(ProbeMethod.GumbelSte));
            md.Append(Inv, $"| {e.Encoder.Name} | {e.Top1 * 100:F1} % | {e.RandomVpTop1 * 100:F1} % | {d.OwnPathTop1 * 100:F1} % | {e.RandomHardTop1 * 100:F1} % | {d.HardTop1 * 100:F1} % | {g.OwnPathTop1 * 100:F1} % | {g.HardTop1 * 100:F1} % |\n");
        }

        // landscape
        md.Append("\n## 2. Loss landscape (paper Fig. 2: Gumbel-Softmax's mean stepwise loss variation ≈24× DiffPrune's)\n\n");
        md.Append("| encoder | DiffPrune mean \\|ΔL\\| along d2 | Gumbel-STE | ratio | paper | along the d2 axis only (d1 = 0): DiffPrune / Gumbel-STE / ratio | roughness, mean \\|Δ²L\\|: DiffPrune / Gumbel-STE / ratio |\n| --- | --- | --- | --- | --- | --- | --- |\n");
        foreach (var e in first.Encoders)
        {
            var (d, g) = (e.Landscape(ProbeMethod.DiffPrune), e.Landscape(ProbeMethod.GumbelSte));
            md.Append(Inv, $"| {e.Encoder.Name} | {d.MeanVariation:G4} | {g.MeanVariation:G4} | {RatioText(e.VariationRatio)} | ≈{PaperVariationRatio}× | {d.AxisVariation:G4} / {g.AxisVariation:G4} / {RatioText(d.AxisVariation > 0 ? g.AxisVariation / d.AxisVariation : double.NaN)} | {d.SecondDifference:G4} / {g.SecondDifference:G4} / {RatioText(e.SecondDifferenceRatio)} |\n");
        }
        md.Append('\n').Append(VariationReading(first)).Append("\n\n");
        foreach (var e in first.Encoders)
        {
            var spans = e.Landscapes.Select(l => (l.Method, Range: AxisTicks.Range(l.Loss.SelectMany(line => line).Where(double.IsFinite)))).ToList();
            md.Append(Inv, $"**{e.Encoder}**: each map has its own colour scale with {HeatMapContours} contour levels, so that contour shapes compare at equal level counts; ");
            md.Append(string.Join(", ", spans.Select(p => string.Create(Inv, $"{p.Method.DisplayName()}'s loss spans {p.Range.Lo:F3}–{p.Range.Hi:F3}")))).Append(".\n\n");
            foreach (var l in e.Landscapes)
            {
                var map = new RasterHeatMap($"{e.Encoder.Name}: {l.Method.DisplayName()} scorer loss", "d1", "d2", "loss") { ContourLevels = HeatMapContours }
                    .Grid(l.Coordinates, l.Coordinates, l.Loss);
                md.Append(Inv, $"![{e.Encoder.Name} {l.Method.DisplayName()} loss slice]({Png($"landscape-{e.Encoder.Name}-{l.Method.Slug()}.png", map.Draw())}) ");
            }
            var variation = new RasterLineChart($"{e.Encoder.Name}: stepwise loss variation along d2", "d2 (step start)", "mean |L(β_j+1) − L(β_j)|") { Markers = true };
            foreach (var l in e.Landscapes)
                variation.Add(l.Method.DisplayName(), l.Profile.Select((v, j) => (l.Coordinates[j], v)), dashed: l.Method == ProbeMethod.GumbelSte);
            md.Append(Inv, $"\n\n![{e.Encoder.Name} stepwise variation]({Png($"variation-{e.Encoder.Name}.png", variation.Draw())})\n\n");
        }

        // Fig. 4b
        md.Append("## 3. VP-Noise vs hard top-K under random scores (paper Fig. 4b: \"nearly identical\")\n\n");
        md.Append("| encoder | keep | K | hard top-1 | VP-Noise top-1 | Δ top-1 (pts) | hard top-5 | VP-Noise top-5 | Δ top-5 (pts) | α in top-K / mass outside |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        foreach (var e in first.Encoders)
        {
            md.Append(Inv, $"| {e.Encoder.Name} | 100 % | {result.Tokens} | {e.Top1 * 100:F1} % | {e.Top1 * 100:F1} % | 0 | {e.Top5 * 100:F1} % | {e.Top5 * 100:F1} % | 0 | 1 / 0 |\n");
            foreach (var r in e.Accuracy)
                md.Append(Inv, $"| {e.Encoder.Name} | {r.KeepFraction * 100:0.#} % | {r.Keep} | {r.HardTop1 * 100:F1} % | {r.VpTop1 * 100:F1} % | {(r.VpTop1 - r.HardTop1) * 100:+0.0;-0.0;0} | {r.HardTop5 * 100:F1} % | {r.VpTop5 * 100:F1} % | {(r.VpTop5 - r.HardTop5) * 100:+0.0;-0.0;0} | {r.Alpha.MeanInsideTopK:F3} / {r.Alpha.MassOutsideTopK:F3} |\n");
        }
        md.Append('\n').Append(AccuracyReading(first)).Append("\n\n");
        foreach (var e in first.Encoders)
        {
            var chart = new RasterLineChart($"{e.Encoder.Name}: random scores, hard top-K vs VP-Noise", "tokens kept (%)", "test accuracy (%)") { Markers = true };
            var keeps = e.Accuracy.Select(r => (Keep: r.KeepFraction * 100, Row: r)).Append((Keep: 100.0, Row: new ThrottleAccuracyRow(1, result.Tokens, e.Top1, e.Top5, e.Top1, e.Top5, new(1, 0)))).ToList();
            chart.Add("hard top-K, top-1", keeps.Select(k => (k.Keep, k.Row.HardTop1 * 100)), PlotColor.Palette[0]);
            chart.Add("VP-Noise, top-1", keeps.Select(k => (k.Keep, k.Row.VpTop1 * 100)), PlotColor.Palette[1], dashed: true);
            chart.Add("hard top-K, top-5", keeps.Select(k => (k.Keep, k.Row.HardTop5 * 100)), PlotColor.Palette[2]);
            chart.Add("VP-Noise, top-5", keeps.Select(k => (k.Keep, k.Row.VpTop5 * 100)), PlotColor.Palette[3], dashed: true);
            md.Append(Inv, $"![{e.Encoder.Name} Fig. 4b]({Png($"accuracy-{e.Encoder.Name}.png", chart.Draw())})\n\n");
        }

        // training curves and options
        md.Append("## Training curves\n\n");
        var classifierChart = new RasterLineChart("Classifier training (25-step running mean)", "step", "cross-entropy");
        foreach (var e in first.Encoders) classifierChart.Add(e.Encoder.Name, RunningMean(e.ClassifierLosses));
        var scorerChart = new RasterLineChart("Scorer training (10-step running mean)", "step", "cross-entropy");
        for (int i = 0; i < first.Encoders.Count; i++)
            foreach (var s in first.Encoders[i].Scorers)
                scorerChart.Add($"{first.Encoders[i].Encoder.Name} {s.Method.DisplayName()}", RunningMean(s.Losses, 10),
                    PlotColor.Palette[(2 * i + (s.Method == ProbeMethod.DiffPrune ? 0 : 1)) % PlotColor.Palette.Count], dashed: s.Method == ProbeMethod.GumbelSte);
        md.Append(Inv, $"![classifier]({Png("classifier-loss.png", classifierChart.Draw())})\n\n![scorers]({Png("scorer-loss.png", scorerChart.Draw())})\n\n");
        md.Append("Note: the two losses of the scorer chart are different functions (VP-Noise on all tokens vs hard top-K), so their levels are not comparable; each shows whether its scorer learns.\n\n");
        md.Append("## Run\n\n| encoder | ").Append(string.Join(" | ", first.Encoders[0].Seconds.Keys)).Append(" |\n|").Append(string.Concat(Enumerable.Repeat(" --- |", 1 + first.Encoders[0].Seconds.Count))).Append('\n');
        foreach (var e in first.Encoders) md.Append(Inv, $"| {e.Encoder.Name} | {string.Join(" | ", e.Seconds.Values.Select(v => v.ToString("F0", Inv) + " s"))} |\n");
        md.Append("\nOptions:\n\n```\n").Append(result.Options).Append("```\n");

        string mdPath = Path.Combine(dir, "report.md"), jsonPath = Path.Combine(dir, "report.json");
        AtomicFile.WriteAllText(mdPath, md.ToString());
        AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(new
        {
            result.Options,
            result.Keep,
            result.Tokens,
            result.Seconds,
            paper = new { coherence_ratio = PaperCoherenceRatio, variation_ratio = PaperVariationRatio, fig4b_gap_points = 0.0 },
            summary = ProbeSeedsSection.Summaries(result).Select(x => new
            {
                x.Encoder,
                x.Top1,
                x.DiffPruneCoherence,
                x.GumbelCoherence,
                x.CoherenceRatio,
                x.CoherenceRatioOfMeans,
                x.VariationRatio,
                x.SecondDifferenceRatio,
                x.Gaps,
            }),
            seeds = result.Seeds.Select(seed => new
            {
                seed.Seed,
                seed.Seconds,
                encoders = seed.Encoders.Select(e => new
                {
                    e.Encoder,
                    e.ClassifierParameters,
                    e.ScorerParameters,
                    e.Top1,
                    e.Top5,
                    e.RandomHardTop1,
                    e.RandomVpTop1,
                    e.CoherenceRatio,
                    e.VariationRatio,
                    e.SecondDifferenceRatio,
                    scorers = e.Scorers.Select(s => new { s.Method, s.MeanCoherence, s.Coherence, s.OwnPathTop1, s.HardTop1, s.Losses }),
                    e.Landscapes,
                    e.Accuracy,
                    e.ClassifierLosses,
                    e.Seconds,
                })
            }),
        }, new JsonSerializerOptions(JsonLines.Options) { WriteIndented = true }));
        files.Insert(0, jsonPath);
        files.Insert(0, mdPath);
        return files;
    }

    /// <summary>"12.3×", or "undefined" when the denominator was not positive.</summary>
    public static string RatioText(double ratio) => double.IsFinite(ratio) ? ratio.ToString(Math.Abs(ratio) >= 10 ? "F1" : "F2", Inv) + "×" : "undefined (denominator ≤ 0)";

    static IEnumerable<(double X, double Y)> RunningMean(IReadOnlyList<double> values, int window = 25) =>
        values.Select((_, i) => ((double)(i + 1), values.Skip(Math.Max(0, i + 1 - window)).Take(Math.Min(window, i + 1)).Average()));

    /// <summary>How the measured coherence ratios compare with the paper's, in words.</summary>
    public static string CoherenceReading(SeedResult result)
    {
        var sb = RatioReading(result, e => e.CoherenceRatio, "DiffPrune's gradients are more coherent than Gumbel-STE's", "the direction the paper reports",
            "DiffPrune more coherent",
            string.Create(Inv, $"the paper's {PaperCoherenceRatio}× on DeiT-Base (86 M parameters; these encoders have {string.Join(" and ", result.Encoders.Select(e => e.ClassifierParameters.ToString("N0", Inv)))})"), PaperCoherenceRatio);
        if (result.Encoders.Count >= 2)
        {
            var ratios = result.Encoders.Select(e => e.CoherenceRatio).ToArray();
            bool grows = ratios.Zip(ratios.Skip(1)).All(p => double.IsFinite(p.First) && double.IsFinite(p.Second) && p.Second > p.First);
            sb.Append(grows ? "The gap grows with encoder size, as the paper says. " : "The gap does not grow monotonically with encoder size here, unlike the paper's statement. ");
        }
        double weakest = result.Encoders.Min(e => Math.Abs(e.Scorer(ProbeMethod.GumbelSte).MeanCoherence));
        if (weakest < SmallCoherence)
            sb.Append(Inv, $"Caution: Gumbel-STE's mean coherence is close to zero (|{weakest:F3}| at the weakest size), so the ratio's size is set by the noise in that small denominator; the per-checkpoint table below is the more reliable reading, and other seeds can move the ratio a lot.");
        return sb.ToString();
    }

    /// <summary>How the measured loss-variation ratios compare with the paper's, in words.</summary>
    public static string VariationReading(SeedResult result) =>
        RatioReading(result, e => e.VariationRatio, "Gumbel-STE's loss varies more from grid step to grid step than DiffPrune's", "the direction of the paper's Fig. 2",
            "Gumbel-STE rougher", string.Create(Inv, $"the paper's ≈{PaperVariationRatio}×"), PaperVariationRatio)
        .Append("The mean |ΔL| measures step-to-step change, so a rough surface and a steep smooth one both raise it; ")
        .Append(string.Create(Inv, $"the second differences |Δ²L|, which a smooth slope does not raise, put Gumbel-STE at {string.Join(", ", result.Encoders.Select(e => $"{RatioText(e.SecondDifferenceRatio)} ({e.Encoder.Name})"))} DiffPrune's roughness, and the contour maps show which surface is which."))
        .ToString();

    // "Reading: <claim> at every size (a 2.1×, b 3.4×), <agreement>. The largest ratio, 3.4×, is below <paper>. " or the disagreeing form
    static StringBuilder RatioReading(SeedResult result, Func<EncoderResult, double> ratioOf, string claim, string agreement, string direction, string paper, double paperRatio)
    {
        var ratios = result.Encoders.Select(ratioOf).ToArray();
        string each = string.Join(", ", result.Encoders.Select(e => $"{e.Encoder.Name} {RatioText(ratioOf(e))}"));
        var sb = new StringBuilder("Reading: ");
        if (ratios.All(r => double.IsFinite(r) && r > 1)) sb.Append(Inv, $"{claim} at every size ({each}), {agreement}. ");
        else sb.Append(Inv, $"the paper's direction ({direction}) does not hold at every size here ({each}). ");
        double largest = ratios.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max();
        if (double.IsFinite(largest))
            sb.Append(Inv, $"The largest ratio, {RatioText(largest)}, is {(largest >= paperRatio ? "at or above" : "below")} {paper}. ");
        return sb;
    }

    /// <summary>How Fig. 4b's hard top-K and VP-Noise accuracies compare ("nearly identical" in the paper), in words.</summary>
    public static string AccuracyReading(SeedResult result)
    {
        var gaps = result.Encoders.SelectMany(e => e.Accuracy.Select(r => (e.Encoder.Name, r.KeepFraction, Gap: (r.VpTop1 - r.HardTop1) * 100))).ToList();
        var worst = gaps.MaxBy(g => Math.Abs(g.Gap));
        var sb = new StringBuilder("Reading: ");
        if (Math.Abs(worst.Gap) <= NearlyIdenticalPoints)
            sb.Append(Inv, $"hard top-K and VP-Noise give top-1 accuracies within {NearlyIdenticalPoints:F0} points of each other at every keep ratio and size (largest gap {worst.Gap:+0.0;-0.0;0} points, {worst.Name} at {worst.KeepFraction * 100:0} %): nearly identical, as the paper reports.");
        else
        {
            int vpLower = gaps.Count(g => g.Gap < 0);
            sb.Append(Inv, $"the two are not nearly identical here: the largest top-1 gap is {worst.Gap:+0.0;-0.0;0} points ({worst.Name} at {worst.KeepFraction * 100:0} % kept; positive means VP-Noise keeps more accuracy). ");
            sb.Append(Inv, $"VP-Noise scores lower than hard top-K in {vpLower} of {gaps.Count} cases, i.e. it restricts information {(vpLower * 2 > gaps.Count ? "more" : vpLower * 2 == gaps.Count ? "about as much overall, but unevenly" : "less")} than dropping the tokens does.");
        }
        return sb.ToString();
    }
}
