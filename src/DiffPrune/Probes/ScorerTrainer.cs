using DiffPrune.Tensors;
using DiffPrune.Tensors.Optim;
using DiffPrune.Training;

namespace DiffPrune.Probes;

/// <summary>Trains one probe scorer by one method through the frozen classifier with <see cref="ProbeOptions.ScorerOptimizer"/>, τ cosine-annealed from <see cref="ProbeOptions.TauStart"/> to <see cref="ProbeOptions.TauEnd"/>.
/// Step t's mini-batch and noise come from a generator seeded by (seed, t), the same for both methods, so the two
/// trajectories see identical data.</summary>
public sealed class ScorerTrainer
{
    readonly ScorerObjective _objective;
    readonly ProbeImages _train;
    readonly ProbeOptions _options;
    readonly GuardedOptimizer _optimizer;
    readonly ulong _seed;

    /// <summary>The scorer being trained.</summary>
    public ProbeScorer Scorer { get; }

    /// <summary>The method it is trained by.</summary>
    public ProbeMethod Method { get; }

    /// <summary>The next step to take.</summary>
    public int Step { get; private set; }

    /// <summary>True once every step is taken.</summary>
    public bool Done => Step >= _options.ScorerSteps;

    /// <summary>A trainer of <paramref name="scorer"/> by <paramref name="method"/>.</summary>
    public ScorerTrainer(ScorerObjective objective, ProbeScorer scorer, ProbeMethod method, ProbeImages train, ProbeOptions options, ulong seed)
    {
        (_objective, Scorer, Method, _train, _options, _seed) = (objective, scorer, method, train, options, seed);
        _optimizer = new GuardedOptimizer(options.ScorerOptimizer, scorer.Parameters(), options.ScorerSteps, $"{method.DisplayName()} scorer");
    }

    /// <summary>τ at scorer step <paramref name="step"/>.</summary>
    public double TauAt(int step) => new CosineSchedule(_options.TauStart, _options.TauEnd, Math.Max(_options.ScorerSteps - 1, 1)).At(step);

    /// <summary>Takes the next step; returns its loss and the τ it ran at.</summary>
    /// <exception cref="InvalidOperationException">Training is done.</exception>
    /// <exception cref="TrainingDivergedException">The loss was not finite too often.</exception>
    public (double Loss, double Tau) TrainStep()
    {
        if (Done) throw new InvalidOperationException($"scorer training is done ({_options.ScorerSteps} steps)");
        var gen = new Generator(_seed ^ ((ulong)(Step + 1) * 0xBF58476D1CE4E5B9UL));
        var (pixels, labels) = _train.Batch(_train.Sample(gen, _options.ScorerBatch));
        Tensor tokens;
        using (Autograd.NoGrad()) tokens = _objective.Classifier.PatchTokens(pixels);
        double tau = TauAt(Step);
        var update = _optimizer.Step(Step, () => GuardedOptimizer.Backward(_objective.Loss(Scorer, Method, tokens, labels, tau, gen)));
        Step++;
        return (update.Loss, tau);
    }
}
