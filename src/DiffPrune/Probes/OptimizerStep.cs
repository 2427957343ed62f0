using DiffPrune.Tensors;
using DiffPrune.Tensors.Optim;

namespace DiffPrune.Probes;

/// <summary>One update of a probe model: backward, gradient clipping at norm 1, AdamW, cleared gradients.</summary>
internal static class OptimizerStep
{
    /// <summary>Takes the step for <paramref name="loss"/> and returns its value.</summary>
    /// <exception cref="InvalidOperationException">The loss is not finite (nothing is updated); the message starts with <paramref name="what"/>.</exception>
    public static double Take(AdamW optimizer, Tensor loss, string what)
    {
        double value = loss.Item();
        if (!double.IsFinite(value)) throw new InvalidOperationException($"{what}: non-finite loss ({value}); nothing was updated");
        optimizer.ZeroGrad();
        loss.Backward();
        GradClip.ClipGradNorm(optimizer.Parameters, 1.0);
        optimizer.StepOnce();
        optimizer.ZeroGrad();
        return value;
    }
}
