namespace DiffPrune.Probes;

/// <summary>Gradient coherence of one scorer at one point of its training.</summary>
/// <param name="Step">Scorer steps taken before the measurement.</param>
/// <param name="Tau">Temperature at that step (the same for every mini-batch of the measurement).</param>
/// <param name="Coherence">Mean pairwise cosine of the mini-batch gradients.</param>
public sealed record CoherencePoint(int Step, double Tau, double Coherence);

/// <summary>One scorer's training run by one method.</summary>
/// <param name="Method">How the scorer was trained.</param>
/// <param name="Losses">Training loss per step.</param>
/// <param name="Coherence">Coherence measured along training.</param>
/// <param name="OwnPathTop1">Test top-1 accuracy through the path the scorer was trained on, at the final τ (VP-Noise, or hard top-K of s + g).</param>
/// <param name="HardTop1">Test top-1 accuracy when the trained scorer's hard top-K (no noise) picks the tokens: the deployed pruner.</param>
public sealed record ScorerRun(ProbeMethod Method, IReadOnlyList<double> Losses, IReadOnlyList<CoherencePoint> Coherence, double OwnPathTop1, double HardTop1)
{
    /// <summary>Coherence averaged over the measurement points.</summary>
    public double MeanCoherence => Coherence.Average(c => c.Coherence);
}

/// <summary>The filter-normalised loss slice around one trained scorer (paper Fig. 2).</summary>
/// <param name="Method">The scorer's method (and the loss evaluated).</param>
/// <param name="Tau">Temperature of the evaluated loss.</param>
/// <param name="Coordinates">Grid coordinates along each direction.</param>
/// <param name="Loss">Loss[i][j] at (Coordinates[i] along d1, Coordinates[j] along d2).</param>
/// <param name="MeanVariation">Mean |L(β_{j+1}) − L(β_j)| along d2 over the whole grid.</param>
/// <param name="AxisVariation">The same along the d2 axis alone (d1 = 0).</param>
/// <param name="Profile">Mean |ΔL| per step along d2 (Fig. 2c).</param>
/// <param name="SecondDifference">Mean |Δ²L| along d2: roughness that a smooth slope does not raise.</param>
public sealed record LandscapeSlice(ProbeMethod Method, double Tau, IReadOnlyList<double> Coordinates, IReadOnlyList<IReadOnlyList<double>> Loss,
    double MeanVariation, double AxisVariation, IReadOnlyList<double> Profile, double SecondDifference);

/// <summary>Everything measured at one encoder size.</summary>
/// <param name="Encoder">The size.</param>
/// <param name="ClassifierParameters">Parameters of the DeiT classifier.</param>
/// <param name="ScorerParameters">Parameters of each scorer.</param>
/// <param name="ClassifierLosses">Classifier training loss per step.</param>
/// <param name="Top1">Unpruned test top-1 accuracy of the frozen classifier.</param>
/// <param name="Top5">Unpruned test top-5 accuracy.</param>
/// <param name="RandomHardTop1">Test top-1 with K random tokens kept by hard top-K (the floor a deployed scorer should beat).</param>
/// <param name="RandomVpTop1">Test top-1 with VP-Noise at budget K under random scores (the floor of DiffPrune's training path).</param>
/// <param name="Scorers">DiffPrune's and Gumbel-STE's scorer runs.</param>
/// <param name="Landscapes">The loss slice of each trained scorer.</param>
/// <param name="Accuracy">Fig. 4b: hard top-K vs VP-Noise under random scores.</param>
/// <param name="Seconds">Wall time of each phase.</param>
public sealed record EncoderResult(ProbeEncoder Encoder, long ClassifierParameters, long ScorerParameters, IReadOnlyList<double> ClassifierLosses,
    double Top1, double Top5, double RandomHardTop1, double RandomVpTop1, IReadOnlyList<ScorerRun> Scorers, IReadOnlyList<LandscapeSlice> Landscapes,
    IReadOnlyList<ThrottleAccuracyRow> Accuracy, IReadOnlyDictionary<string, double> Seconds)
{
    /// <summary>The scorer run of <paramref name="method"/>.</summary>
    public ScorerRun Scorer(ProbeMethod method) => Scorers.Single(s => s.Method == method);

    /// <summary>The loss slice of <paramref name="method"/>.</summary>
    public LandscapeSlice Landscape(ProbeMethod method) => Landscapes.Single(l => l.Method == method);

    /// <summary>DiffPrune's mean coherence over Gumbel-STE's (paper: 28.4× on DeiT-Base); NaN when Gumbel-STE's is not positive.</summary>
    public double CoherenceRatio => Ratio(Scorer(ProbeMethod.DiffPrune).MeanCoherence, Scorer(ProbeMethod.GumbelSte).MeanCoherence);

    /// <summary>Gumbel-STE's mean stepwise loss variation over DiffPrune's (paper: ≈24×); NaN when DiffPrune's is not positive.</summary>
    public double VariationRatio => Ratio(Landscape(ProbeMethod.GumbelSte).MeanVariation, Landscape(ProbeMethod.DiffPrune).MeanVariation);

    /// <summary>Gumbel-STE's mean |Δ²L| over DiffPrune's; NaN when DiffPrune's is not positive.</summary>
    public double SecondDifferenceRatio => Ratio(Landscape(ProbeMethod.GumbelSte).SecondDifference, Landscape(ProbeMethod.DiffPrune).SecondDifference);

    static double Ratio(double a, double b) => b > 0 ? a / b : double.NaN;
}

/// <summary>Everything measured with one seed.</summary>
/// <param name="Seed">The seed of every draw of this run.</param>
/// <param name="Encoders">One result per encoder size, smallest first.</param>
/// <param name="Seconds">Wall time of this seed's run.</param>
public sealed record SeedResult(ulong Seed, IReadOnlyList<EncoderResult> Encoders, double Seconds);

/// <summary>A whole probe run: the same measurements repeated with several seeds.</summary>
/// <param name="Options">The options, as <see cref="ProbeOptions.Describe"/> writes them.</param>
/// <param name="Keep">Tokens kept by the scorers (K).</param>
/// <param name="Tokens">Patch tokens per image (N).</param>
/// <param name="Seeds">One result per seed, in the order run.</param>
/// <param name="Seconds">Wall time of the run: its seeds' times summed (a resumed run counts each seed's time once, in the run that made it).</param>
public sealed record ProbeResult(string Options, int Keep, int Tokens, IReadOnlyList<SeedResult> Seeds, double Seconds)
{
    /// <summary>The encoder sizes, as the first seed ran them (every seed runs the same).</summary>
    public IReadOnlyList<ProbeEncoder> Encoders => Seeds[0].Encoders.Select(e => e.Encoder).ToArray();

    /// <summary>The results of encoder size <paramref name="encoder"/> (an index into <see cref="Encoders"/>), one per seed.</summary>
    public IReadOnlyList<EncoderResult> AcrossSeeds(int encoder) => Seeds.Select(s => s.Encoders[encoder]).ToArray();
}
