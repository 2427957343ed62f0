namespace DiffPrune.Tensors.Optim;

/// <summary>Gradient clipping by global norm (<c>torch.nn.utils.clip_grad_norm_</c>).</summary>
public static class GradClip
{
    /// <summary>
    /// Scales all gradients by min(1, maxNorm/(‖g‖ + 1e-6)) where ‖g‖ is the L2 norm over every gradient
    /// together. Returns ‖g‖ before clipping (NaN/inf when a gradient is not finite, so callers can stop).
    /// </summary>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        var withGrad = parameters.Where(p => p.Grad != null).ToArray();
        double sq = 0;
        foreach (var p in withGrad)
            foreach (float g in p.Grad!.Data) sq += (double)g * g;
        double norm = Math.Sqrt(sq);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1 && double.IsFinite(norm))
            foreach (var p in withGrad)
                System.Numerics.Tensors.TensorPrimitives.Multiply(p.Grad!.Data, (float)coef, p.Grad.Data);
        return norm;
    }
}
