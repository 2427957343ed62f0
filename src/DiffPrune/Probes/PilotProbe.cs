using System.Diagnostics;
using System.Globalization;
using DiffPrune.Pruning;
using DiffPrune.Tensors;

namespace DiffPrune.Probes;

/// <summary>A step of the probe: how much of the estimated work is done, a one-line summary, and whether a plain log should print it.</summary>
/// <param name="Work">Estimated work done so far, in the units of <see cref="PilotProbe.TotalWork"/>.</param>
/// <param name="Line">What just happened.</param>
/// <param name="Print">True for lines worth a plain log (phase ends, every 25th step).</param>
public readonly record struct ProbeProgress(long Work, string Line, bool Print);

/// <summary>
/// The paper's pilot studies (§3, Fig. 1c, Fig. 2, Fig. 4b) on Fashion-MNIST, for each encoder size:
/// <list type="number">
/// <item>train a DeiT-style classifier, then freeze it;</item>
/// <item>train one MLP scorer per method (DiffPrune, Gumbel-STE) from the same initial weights on the same mini-batches,
/// measuring cross-batch gradient coherence at evenly spaced points (fixed τ, fixed mini-batches and noise draws);</item>
/// <item>slice each trained scorer's loss along two filter-normalised directions;</item>
/// <item>score the frozen classifier under random scores, hard top-K vs VP-Noise (Fig. 4b).</item>
/// </list>
/// All of it is repeated for each of <see cref="ProbeOptions.Seeds"/> seeds (<see cref="ProbeOptions.Seed"/>, + 1, …).
/// <see cref="Run"/> does the work one unit at a time and reports progress after each; <see cref="Result"/> holds the
/// numbers afterwards. Every draw comes from the seed: the same options give the same numbers, and a seed's numbers do
/// not depend on which other seeds run.
/// </summary>
public sealed class PilotProbe
{
    const int AccuracyBatch = 50;
    readonly ProbeImages _train, _test;
    long _work;

    /// <summary>The options.</summary>
    public ProbeOptions Options { get; }

    /// <summary>Estimated work of the whole run (millions of multiply-adds through the encoders).</summary>
    public long TotalWork { get; }

    /// <summary>The measurements of the seeds finished so far (null before the first): every seed's once <see cref="Run"/> has finished.</summary>
    public ProbeResult? Result { get; private set; }

    /// <summary>A probe on the given splits.</summary>
    /// <exception cref="ArgumentException">Invalid options, or more test images asked for than the test split holds.</exception>
    public PilotProbe(ProbeOptions options, ProbeImages train, ProbeImages test)
    {
        Options = options.Validate();
        if (options.AccuracyImages > test.Count) throw new ArgumentException($"probe options: {options.AccuracyImages} accuracy images asked for, the test split holds {test.Count}");
        (_train, _test) = (train, test);
        TotalWork = options.Seeds * options.Encoders.Sum(e => Costs(e).Total);
    }

    // estimated cost of each unit of work of one encoder size; one forward pass of one image with all tokens = its FLOPs
    (long ClassifierStep, long ScorerStep, long Gradient, long LandscapePoint, long GumbelLandscapePoint, long AccuracyBatch, long Total) Costs(ProbeEncoder e)
    {
        var o = Options;
        double full = e.Config.Flops() / 1e6, kept = full * (o.Keep + 1) / (o.Tokens + 1);
        long classifier = (long)(3 * o.ClassifierBatch * full), scorer = (long)(2.5 * o.ScorerBatch * full), gradient = (long)(2.5 * o.CoherenceBatchSize * full);
        long point = (long)(o.LandscapeImages * full), gumbelPoint = (long)(o.LandscapeImages * kept);
        long accuracy = (long)(AccuracyBatch * full * (3 + o.KeepFractions.Count + o.KeepFractions.Sum(f => f) + 4.0 * (o.Keep + 1) / (o.Tokens + 1)));
        long total = o.ClassifierSteps * classifier + 2L * o.ScorerSteps * scorer + 2L * o.CoherenceSteps().Length * o.CoherenceBatches * gradient
            + (long)o.LandscapeGrid * o.LandscapeGrid * (point + gumbelPoint) + (long)Math.Ceiling((double)o.AccuracyImages / AccuracyBatch) * accuracy;
        return (classifier, scorer, gradient, point, gumbelPoint, accuracy, total);
    }

    // an independent stream per (seed, encoder, purpose): same seed, same draws, whatever else the run does
    static Generator Stream(ulong seed, int encoder, int purpose, int index = 0) =>
        new(seed * 0x9E3779B97F4A7C15UL ^ ((ulong)(encoder + 1) << 40 | (ulong)purpose << 24 | (uint)index) * 0xD1B54A32D192ED03UL);

    static ulong StreamSeed(ulong seed, int encoder, int purpose) => Stream(seed, encoder, purpose).NextUInt64();

    /// <summary>Runs the probe, yielding after every unit of work; <see cref="Result"/> is set when the sequence ends. A seed found in
    /// <paramref name="finished"/> (an earlier run's results with these options, <see cref="ProbeLog"/>) is taken from there instead.</summary>
    public IEnumerable<ProbeProgress> Run(IReadOnlyCollection<SeedResult>? finished = null)
    {
        var seeds = new List<SeedResult>();
        for (int i = 0; i < Options.Seeds; i++)
        {
            ulong seed = Options.Seed + (ulong)i;
            var seedClock = Stopwatch.StartNew();
            var result = finished?.FirstOrDefault(s => s.Seed == seed);
            bool restored = result != null;
            if (result == null)
            {
                var results = new List<EncoderResult>();
                for (int e = 0; e < Options.Encoders.Count; e++)
                {
                    var state = new EncoderState();
                    foreach (var p in RunEncoder(seed, e, state)) yield return p;
                    results.Add(state.Result!);
                }
                result = new SeedResult(seed, results, seedClock.Elapsed.TotalSeconds);
            }
            else _work += Options.Encoders.Sum(e => Costs(e).Total);
            seeds.Add(result);
            Result = new ProbeResult(Options.Describe(), Options.Keep, Options.Tokens, seeds.ToArray(), seeds.Sum(s => s.Seconds));
            yield return Advance(0, Inv($"seed {seed} {(restored ? "restored from the log" : "done")} ({i + 1} of {Options.Seeds}) in {result.Seconds / 60:F1} min"), true);
        }
    }

    sealed class EncoderState
    {
        public EncoderResult? Result;
    }

    ProbeProgress Advance(long work, string line, bool print)
    {
        _work += work;
        return new ProbeProgress(_work, line, print);
    }

    static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    IEnumerable<ProbeProgress> RunEncoder(ulong seed, int e, EncoderState state)
    {
        var o = Options;
        var enc = o.Encoders[e];
        string name = o.Seeds == 1 ? enc.Name : Inv($"seed {seed}, {enc.Name}");
        Generator Stream(int purpose, int index = 0) => PilotProbe.Stream(seed, e, purpose, index);
        ulong StreamSeed(int purpose) => PilotProbe.StreamSeed(seed, e, purpose);
        var cost = Costs(enc);
        var seconds = new Dictionary<string, double>();
        var phase = Stopwatch.StartNew();

        // 1. the classifier, then frozen
        var classifier = new DeitClassifier(enc.Config, 10, Stream(1));
        var classifierTrainer = new ClassifierTrainer(classifier, _train, o.ClassifierSteps, o.ClassifierBatch, o.ClassifierOptimizer, StreamSeed(2),
            o.ClassifierErasing.Probability > 0 ? o.ClassifierErasing : null);
        var classifierLosses = new List<double>();
        while (!classifierTrainer.Done)
        {
            classifierLosses.Add(classifierTrainer.TrainStep());
            int s = classifierTrainer.Step;
            double recent = classifierLosses.TakeLast(25).Average();
            yield return Advance(cost.ClassifierStep, Inv($"{name}: classifier step {s}/{o.ClassifierSteps}, loss {recent:F3}"), s % 25 == 0 || s == o.ClassifierSteps);
        }
        classifier.RequiresGrad(false);
        TokenStandardizer standardizer;
        using (Autograd.NoGrad())
            standardizer = TokenStandardizer.Fit(classifier.PatchTokens(_train.Batch(_train.Sample(Stream(3), o.StandardizerImages)).Pixels));
        var objective = new ScorerObjective(classifier, standardizer, o.Keep);
        seconds["classifier"] = Lap(phase);

        // 2. one scorer per method: same initial weights, same mini-batches; coherence along training
        var coherenceBatches = Enumerable.Range(0, o.CoherenceBatches).Select(b =>
        {
            var (pixels, labels) = _train.Batch(_train.Sample(Stream(4, b), o.CoherenceBatchSize));
            using var _ = Autograd.NoGrad();
            return (Tokens: classifier.PatchTokens(pixels), Labels: labels);
        }).ToArray();
        var checkpoints = o.CoherenceSteps();
        var trained = new Dictionary<ProbeMethod, (ProbeScorer Scorer, List<double> Losses, List<CoherencePoint> Coherence)>();
        foreach (var method in Enum.GetValues<ProbeMethod>())
        {
            var scorer = new ProbeScorer(enc.Width, o.ScorerHiddenRatio * enc.Width, Stream(5));
            var trainer = new ScorerTrainer(objective, scorer, method, _train, o, StreamSeed(6));
            var losses = new List<double>();
            var coherence = new List<CoherencePoint>();
            while (true)
            {
                if (checkpoints.Contains(trainer.Step))
                {
                    double tau = trainer.TauAt(Math.Min(trainer.Step, o.ScorerSteps - 1));
                    var gradients = new List<double[]>();
                    for (int b = 0; b < coherenceBatches.Length; b++)
                    {
                        gradients.Add(GradientCoherence.Gradient(objective, scorer, method, coherenceBatches[b].Tokens, coherenceBatches[b].Labels, tau, Stream(7, b)));
                        yield return Advance(cost.Gradient, Inv($"{name}: {method.DisplayName()} coherence at step {trainer.Step}, gradient {b + 1}/{coherenceBatches.Length}"), false);
                    }
                    coherence.Add(new CoherencePoint(trainer.Step, tau, GradientCoherence.MeanPairwiseCosine(gradients)));
                    yield return Advance(0, Inv($"{name}: {method.DisplayName()} coherence at step {trainer.Step} (τ {tau:F2}): {coherence[^1].Coherence:F4}"), true);
                }
                if (trainer.Done) break;
                var (loss, stepTau) = trainer.TrainStep();
                losses.Add(loss);
                yield return Advance(cost.ScorerStep, Inv($"{name}: {method.DisplayName()} scorer step {trainer.Step}/{o.ScorerSteps}, loss {loss:F3}, τ {stepTau:F2}"),
                    trainer.Step % 25 == 0 || trainer.Done);
            }
            trained[method] = (scorer, losses, coherence);
        }
        seconds["scorers_and_coherence"] = Lap(phase);

        // 3. loss slices: same raw directions and evaluation batch for both methods; fixed noise at every grid point
        var coordinates = Enumerable.Range(0, o.LandscapeGrid).Select(i => o.LandscapeRange * (2.0 * i / (o.LandscapeGrid - 1) - 1)).ToArray();
        var (evalPixels, evalLabels) = _train.Batch(_train.Sample(Stream(8), o.LandscapeImages));
        Tensor evalTokens;
        using (Autograd.NoGrad()) evalTokens = classifier.PatchTokens(evalPixels);
        var landscapes = new List<LandscapeSlice>();
        foreach (var method in Enum.GetValues<ProbeMethod>())
        {
            var scorer = trained[method].Scorer;
            var parameters = scorer.Parameters().ToList();
            var d1 = LossLandscape.FilterNormalizedDirection(parameters, Stream(9, 1));
            var d2 = LossLandscape.FilterNormalizedDirection(parameters, Stream(9, 2));
            var grid = new double[o.LandscapeGrid][];
            long pointCost = method == ProbeMethod.GumbelSte ? cost.GumbelLandscapePoint : cost.LandscapePoint;
            for (int i = 0; i < o.LandscapeGrid; i++)
            {
                grid[i] = coordinates.Select(b => LossLandscape.At(parameters, d1, d2, coordinates[i], b,
                    () => objective.Evaluate(scorer, method, evalTokens, evalLabels, o.TauEnd, Stream(10)))).ToArray();
                yield return Advance(pointCost * o.LandscapeGrid, Inv($"{name}: {method.DisplayName()} loss slice, line {i + 1}/{o.LandscapeGrid}"), i + 1 == o.LandscapeGrid);
            }
            var profile = LossLandscape.StepwiseVariationProfile(grid);
            var axis = LossLandscape.StepwiseVariationProfile([grid[o.LandscapeGrid / 2]]).Average();
            landscapes.Add(new LandscapeSlice(method, o.TauEnd, coordinates, grid, profile.Average(), axis, profile, LossLandscape.MeanSecondDifference(grid)));
        }
        seconds["landscape"] = Lap(phase);

        // 4. Fig. 4b under random scores; on the same test images, random and trained scores at budget K, through each
        //    method's own path (final τ) and through the deployed hard top-K
        var throttle = new ThrottleAccuracy(classifier, standardizer, o.KeepFractions, o.AccuracyTau);
        var correct = new Dictionary<string, long>();
        void Score(string key, Tensor classLogits, int[] labels) => correct[key] = correct.GetValueOrDefault(key) + ThrottleAccuracy.Count(classLogits, labels, 0, 0).Top1;
        var accuracyGen = Stream(11);
        for (int start = 0; start < o.AccuracyImages; start += AccuracyBatch)
        {
            var (pixels, labels) = _test.Range(start, Math.Min(AccuracyBatch, o.AccuracyImages - start));
            throttle.Add(pixels, labels, accuracyGen);
            using (Autograd.NoGrad())
            {
                var tokens = classifier.PatchTokens(pixels);
                var random = Tensor.Randn(accuracyGen, [labels.Length, o.Tokens]);
                Score("random hard", classifier.ClassifyKept(tokens, HardTopK.Indices(random, o.Keep)), labels);
                Score("random vp", objective.ClassLogits(random, ProbeMethod.DiffPrune, tokens, o.AccuracyTau, accuracyGen), labels);
                foreach (var (method, t) in trained)
                {
                    var scores = t.Scorer.Forward(classifier.WithPositions(tokens));
                    Score($"{method} own", objective.ClassLogits(scores, method, tokens, o.TauEnd, accuracyGen), labels);
                    Score($"{method} hard", classifier.ClassifyKept(tokens, HardTopK.Indices(scores, o.Keep)), labels);
                }
            }
            yield return Advance(cost.AccuracyBatch, Inv($"{name}: Fig. 4b accuracy, {throttle.Images}/{o.AccuracyImages} test images"), throttle.Images == o.AccuracyImages);
        }
        seconds["accuracy"] = Lap(phase);

        double Rate(string key) => (double)correct[key] / o.AccuracyImages;
        var (top1, top5) = throttle.Unpruned;
        var scorers = trained.Select(p => new ScorerRun(p.Key, p.Value.Losses, p.Value.Coherence, Rate($"{p.Key} own"), Rate($"{p.Key} hard"))).ToArray();
        state.Result = new EncoderResult(enc, classifier.ParameterCount, trained[ProbeMethod.DiffPrune].Scorer.ParameterCount, classifierLosses, top1, top5,
            Rate("random hard"), Rate("random vp"), scorers, landscapes, throttle.Rows, seconds);
    }

    static double Lap(Stopwatch watch)
    {
        double s = watch.Elapsed.TotalSeconds;
        watch.Restart();
        return s;
    }
}
