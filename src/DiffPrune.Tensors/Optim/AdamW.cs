namespace DiffPrune.Tensors.Optim;

/// <summary>
/// AdamW with decoupled weight decay, PyTorch semantics (<c>torch.optim.AdamW</c>, amsgrad off):
/// p ← p − lr·wd·p; m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
/// p ← p − lr·(m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + eps).
/// Parameters without a gradient are skipped. State (step, m, v) can be saved and restored for resuming.
/// </summary>
public sealed class AdamW
{
    readonly Tensor[] _params;
    readonly float[][] _m, _v;

    /// <summary>Learning rate (a schedule may change it between steps).</summary>
    public float LearningRate { get; set; }
    /// <summary>β1, β2.</summary>
    public (float Beta1, float Beta2) Betas { get; }
    /// <summary>Added to √v̂.</summary>
    public float Eps { get; }
    /// <summary>Decoupled weight decay (PyTorch default 0.01).</summary>
    public float WeightDecay { get; }
    /// <summary>Steps taken so far.</summary>
    public int Step { get; private set; }

    /// <summary>Creates the optimizer over <paramref name="parameters"/>.</summary>
    public AdamW(IEnumerable<Tensor> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 1e-2f)
    {
        _params = parameters.ToArray();
        if (lr < 0 || beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1 || eps < 0 || weightDecay < 0)
            throw new ArgumentException($"invalid AdamW hyper-parameters (lr {lr}, betas ({beta1}, {beta2}), eps {eps}, weight decay {weightDecay})");
        _m = _params.Select(p => new float[p.Numel]).ToArray();
        _v = _params.Select(p => new float[p.Numel]).ToArray();
        LearningRate = lr;
        Betas = (beta1, beta2);
        Eps = eps;
        WeightDecay = weightDecay;
    }

    /// <summary>The parameters being optimised.</summary>
    public IReadOnlyList<Tensor> Parameters => _params;

    /// <summary>Applies one update from the current gradients.</summary>
    public void StepOnce()
    {
        Step++;
        var (b1, b2) = Betas;
        double bc1 = 1 - Math.Pow(b1, Step), bc2 = 1 - Math.Pow(b2, Step);
        float lr = LearningRate;
        // PyTorch: step_size = lr / bc1; denom = sqrt(v)/sqrt(bc2) + eps
        float stepSize = (float)(lr / bc1);
        float sqrtBc2 = (float)Math.Sqrt(bc2);
        for (int k = 0; k < _params.Length; k++)
        {
            var p = _params[k];
            if (p.Grad == null) continue;
            var w = p.Data;
            var g = p.Grad.Data;
            var m = _m[k];
            var v = _v[k];
            float decay = 1f - lr * WeightDecay;
            for (int i = 0; i < w.Length; i++)
            {
                w[i] *= decay;
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                w[i] -= stepSize * m[i] / (MathF.Sqrt(v[i]) / sqrtBc2 + Eps);
            }
        }
    }

    /// <summary>Clears the gradients of all parameters.</summary>
    public void ZeroGrad()
    {
        foreach (var p in _params) p.Grad = null;
    }

    /// <summary>The optimizer state as named tensors (<c>m.{i}</c>, <c>v.{i}</c>) plus the step count.</summary>
    public (int Step, Dictionary<string, Tensor> Moments) GetState()
    {
        var d = new Dictionary<string, Tensor>();
        for (int i = 0; i < _params.Length; i++)
        {
            d[$"m.{i}"] = Tensor.FromArray(_m[i], _params[i].Shape);
            d[$"v.{i}"] = Tensor.FromArray(_v[i], _params[i].Shape);
        }
        return (Step, d);
    }

    /// <summary>Restores a state from <see cref="GetState"/>.</summary>
    /// <exception cref="InvalidDataException">A moment is missing or has the wrong size.</exception>
    public void SetState(int step, IReadOnlyDictionary<string, Tensor> moments)
    {
        for (int i = 0; i < _params.Length; i++)
            foreach (var (key, dst) in new[] { ($"m.{i}", _m[i]), ($"v.{i}", _v[i]) })
            {
                if (!moments.TryGetValue(key, out var t) || t.Numel != dst.Length)
                    throw new InvalidDataException($"optimizer state: '{key}' is missing or does not match parameter {_params[i].Describe()}");
                t.Data.CopyTo(dst);
            }
        Step = step;
    }
}
