using DiffPrune.Tensors;
using DiffPrune.Tensors.Optim;

namespace DiffPrune.Training;

/// <summary>The update step every trainer shares: the scheduled learning rate, cleared gradients, the trainer's forward and backward,
/// clipping, AdamW. A non-finite loss or gradient norm skips the update (nothing changes); <see cref="OptimizerSettings.MaxBadSteps"/>
/// such steps in a row stop training with a message that starts with <c>what</c>. The schedule spans <c>steps</c> steps. With
/// <c>parallel</c> (data-parallel ranks), each rank's forward and backward returns its part of the global loss and the parts and
/// gradients are summed over the ranks before clipping (<see cref="DataParallel.SumLossAndGradients"/>): every rank then clips,
/// steps or skips identically; without it nothing is communicated.</summary>
public sealed class GuardedOptimizer(OptimizerSettings settings, IEnumerable<Tensor> parameters, int steps, string what, DataParallel? parallel = null)
{
    readonly CosineSchedule _schedule = new(settings.LearningRate, settings.LearningRate * settings.FinalLearningRateFraction, steps, Math.Min(settings.WarmupSteps, steps));
    int _badSteps;

    /// <summary>The optimizer (its state goes into checkpoints).</summary>
    public AdamW AdamW { get; } = new(parameters, (float)settings.LearningRate, weightDecay: (float)settings.WeightDecay);

    /// <summary>The value of <paramref name="loss"/>, backpropagated when finite: the usual forward of <see cref="Step"/>.</summary>
    public static double Backward(Tensor loss)
    {
        double value = loss.Item();
        if (double.IsFinite(value)) loss.Backward();
        return value;
    }

    /// <summary>Takes update <paramref name="step"/>, whose <paramref name="forwardBackward"/> returns the loss (this rank's part of it under
    /// data parallelism), backpropagated when finite (gradients may accumulate; a forward that throws <see cref="NonFiniteValueException"/>
    /// counts as a NaN loss); returns the loss, learning rate, gradient norm before clipping (NaN after a non-finite loss) and whether it was skipped.</summary>
    /// <exception cref="TrainingDivergedException">The last <see cref="OptimizerSettings.MaxBadSteps"/> steps were all non-finite.</exception>
    public (double Loss, double LearningRate, double GradNorm, bool Skipped) Step(int step, Func<double> forwardBackward)
    {
        double lr = _schedule.At(step);
        AdamW.LearningRate = (float)lr;
        AdamW.ZeroGrad();
        double loss;
        try { loss = forwardBackward(); }
        catch (NonFiniteValueException) { loss = double.NaN; }   // a forward that met NaN or ∞ (e.g. in Soft Top-K's logits) is a non-finite step
        if (parallel != null) loss = parallel.SumLossAndGradients(loss, AdamW.Parameters);
        double norm = double.IsFinite(loss) ? GradClip.ClipGradNorm(AdamW.Parameters, settings.MaxGradNorm) : double.NaN;
        bool skipped = !double.IsFinite(norm);
        if (!skipped) AdamW.StepOnce();
        AdamW.ZeroGrad();
        _badSteps = skipped ? _badSteps + 1 : 0;
        if (_badSteps >= settings.MaxBadSteps)
            throw new TrainingDivergedException($"{what} step {step}: {_badSteps} step(s) in a row had a non-finite loss or gradient (last loss {loss}); " +
                $"nothing was updated and training stopped with the last checkpoint intact: lower its learning rate (…lr, now {settings.LearningRate}) or allow " +
                "more such steps (…max-bad-steps) and train again into a new folder (a resume keeps the options and would stop here again)");
        return (loss, lr, norm, skipped);
    }
}
