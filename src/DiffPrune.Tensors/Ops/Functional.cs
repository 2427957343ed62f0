using System.Numerics.Tensors;
using DiffPrune.Tensors.Blas;

namespace DiffPrune.Tensors;

/// <summary>
/// Functional ops in the vocabulary of <c>torch.nn.functional</c>: linear, the fused norms, embedding and
/// cross-entropy. Attention and RoPE live in their own files.
/// </summary>
public static partial class F
{
    /// <summary>
    /// y = x·Wᵀ + b, with x (..., in), weight (out, in) as in PyTorch/HF, bias (out) or null.
    /// A frozen weight (RequiresGrad false) skips its weight-gradient GEMM but still passes dL/dx.
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        if (weight.Rank != 2) throw new ArgumentException($"linear: weight {weight.Describe()} must be 2-d (out, in)");
        int outF = weight.Shape[0], inF = weight.Shape[1];
        if (x.Rank == 0 || x.Shape[^1] != inF)
            throw new ArgumentException($"linear: input {x.Describe()} does not end in {inF} features of weight {weight.Describe()}");
        if (bias != null && (bias.Rank != 1 || bias.Shape[0] != outF))
            throw new ArgumentException($"linear: bias {bias.Describe()} must be ({outF})");
        int rows = x.Numel / Math.Max(inF, 1);
        if (inF == 0) rows = ShapeUtil.Numel(x.Shape.AsSpan(0, x.Rank - 1));
        var y = Tensor.PooledForOverwrite(x.Shape[..^1].Append(outF).ToArray()); // the bias copy or beta = 0 writes all of y
        // the bias is written first and the GEMM accumulates onto it (beta = 1): one pass over y, not two
        if (bias != null)
            for (int r = 0; r < rows; r++) bias.Data.CopyTo(y.Data.Slice(r * outF, outF));
        Gemm.Sgemm(false, true, rows, outF, inF, 1f, x.Data, inF, weight.Data, inF, bias != null ? 1f : 0f, y.Data, outF);
        Tensor[] inputs = bias == null ? [x, weight] : [x, weight, bias];
        return Autograd.Record(y, "linear", inputs, g =>
        {
            // y = x·Wᵀ:  dx = dy·W,  dW = dyᵀ·x,  db = Σ_rows dy
            if (x.RequiresGrad) Gemm.Sgemm(false, false, rows, inF, outF, 1f, g.Data, outF, weight.Data, inF, 1f, x.GradSpan(), inF);
            if (weight.RequiresGrad) Gemm.Sgemm(true, false, outF, inF, rows, 1f, g.Data, outF, x.Data, inF, 1f, weight.GradSpan(), inF);
            if (bias != null && bias.RequiresGrad)
            {
                var db = bias.GradSpan();
                for (int r = 0; r < rows; r++) TensorPrimitives.Add(db, g.Data.Slice(r * outF, outF), db);
            }
        });
    }

    /// <summary>Layer norm over the last dim: (x − mean)/√(var + eps)·w + b (biased variance, as PyTorch). Fused kernel;
    /// rows run in parallel (bit-identical to one thread: each row is computed alone, and the weight and bias gradients
    /// are summed over rows in order on one thread).</summary>
    public static Tensor LayerNorm(Tensor x, Tensor? weight, Tensor? bias, float eps = 1e-5f)
    {
        int c = x.Shape[^1], rows = x.Numel / Math.Max(c, 1);
        CheckNormParam("layer_norm", x, weight, c);
        CheckNormParam("layer_norm", x, bias, c);
        var y = Tensor.PooledForOverwrite(x.Shape);
        var mean = TensorScope.Rent(rows, zeroed: false);
        var rstd = TensorScope.Rent(rows, zeroed: false);
        float[] xs = x.Storage, ys = y.Storage;
        float[]? ws = weight?.Storage, bs = bias?.Storage;
        RowParallel.For(rows, 3L * c, (lo, hi) =>
        {
            for (int r = lo; r < hi; r++) (mean[r], rstd[r]) = NormKernels.LayerNormForward(ys, xs, ws, bs, r * c, c, eps);
        });
        Tensor[] inputs = new[] { x, weight, bias }.Where(t => t != null).ToArray()!;
        return Autograd.Record(y, "layer_norm", inputs, g =>
        {
            float[] gs = g.Storage;
            if (x.RequiresGrad)
            {
                x.GradSpan();
                float[] dx = x.Grad!.Storage;
                RowParallel.For(rows, 4L * c, (lo, hi) =>
                {
                    for (int r = lo; r < hi; r++) NormKernels.LayerNormBackward(dx, gs, xs, ws, mean[r], rstd[r], r * c, c);
                });
            }
            Span<float> dw = weight is { RequiresGrad: true } ? weight.GradSpan() : default;
            Span<float> db = bias is { RequiresGrad: true } ? bias.GradSpan() : default;
            if (dw.IsEmpty && db.IsEmpty) return;
            for (int r = 0; r < rows; r++) NormKernels.ParameterGradients(dw, db, gs, xs, mean[r], rstd[r], r * c, c);
        });
    }

    /// <summary>RMS norm over the last dim: x/√(mean(x²) + eps)·w (LLaMA). Fused kernel; rows run in parallel
    /// (bit-identical to one thread, as <see cref="LayerNorm"/>).</summary>
    public static Tensor RmsNorm(Tensor x, Tensor? weight, float eps = 1e-5f)
    {
        int c = x.Shape[^1], rows = x.Numel / Math.Max(c, 1);
        CheckNormParam("rms_norm", x, weight, c);
        var y = Tensor.PooledForOverwrite(x.Shape);
        var rstd = TensorScope.Rent(rows, zeroed: false);
        float[] xs = x.Storage, ys = y.Storage;
        float[]? ws = weight?.Storage;
        RowParallel.For(rows, 2L * c, (lo, hi) =>
        {
            for (int r = lo; r < hi; r++) rstd[r] = NormKernels.RmsNormForward(ys, xs, ws, r * c, c, eps);
        });
        Tensor[] inputs = weight == null ? [x] : [x, weight];
        return Autograd.Record(y, "rms_norm", inputs, g =>
        {
            float[] gs = g.Storage;
            if (x.RequiresGrad)
            {
                x.GradSpan();
                float[] dx = x.Grad!.Storage;
                RowParallel.For(rows, 4L * c, (lo, hi) =>
                {
                    for (int r = lo; r < hi; r++) NormKernels.RmsNormBackward(dx, gs, xs, ws, rstd[r], r * c, c);
                });
            }
            if (weight is not { RequiresGrad: true }) return;
            var dw = weight.GradSpan();
            for (int r = 0; r < rows; r++) NormKernels.ParameterGradients(dw, default, gs, xs, 0f, rstd[r], r * c, c);
        });
    }

    static void CheckNormParam(string op, Tensor x, Tensor? p, int c)
    {
        if (p != null && (p.Rank != 1 || p.Shape[0] != c))
            throw new ArgumentException($"{op}: {p.Describe()} must be ({c}) to normalise {x.Describe()}");
    }

    /// <summary>Rows of <paramref name="weight"/> (vocab, dim) for each id: output shape ids.Shape + (dim).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A token id outside the vocabulary.</exception>
    public static Tensor Embedding(IntTensor ids, Tensor weight)
    {
        if (weight.Rank != 2) throw new ArgumentException($"embedding: weight {weight.Describe()} must be (vocab, dim)");
        foreach (int id in ids.Data)
            if ((uint)id >= (uint)weight.Shape[0])
                throw new ArgumentOutOfRangeException(nameof(ids), $"embedding: token id {id} is outside the vocabulary of {weight.Describe()}");
        return weight.IndexSelect(0, ids.Data).Reshape(ids.Shape.Append(weight.Shape[1]).ToArray());
    }

    /// <summary>
    /// Mean binary cross-entropy of <paramref name="logits"/> z against <paramref name="targets"/> y in [0, 1], same
    /// shape (<c>F.binary_cross_entropy_with_logits</c>): max(z, 0) − z·y + log(1 + e^{−|z|}), stable for any z.
    /// Targets get no gradient; dL/dz = (σ(z) − y)/n.
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor targets)
    {
        if (!ShapeUtil.Same(logits.Shape, targets.Shape))
            throw new ArgumentException($"binary_cross_entropy_with_logits: logits {logits.Describe()} and targets {targets.Describe()} differ in shape");
        int n = logits.Numel;
        double loss = 0;
        for (int i = 0; i < n; i++)
        {
            float z = logits.Data[i], y = targets.Data[i];
            loss += Math.Max(z, 0f) - z * y + Math.Log(1 + Math.Exp(-Math.Abs(z)));
        }
        var result = Tensor.Scalar(n == 0 ? 0f : (float)(loss / n));
        return Autograd.Record(result, "binary_cross_entropy_with_logits", [logits], g =>
        {
            var dz = logits.GradSpan();
            float scale = g.Data[0] / Math.Max(n, 1);
            for (int i = 0; i < n; i++)
                dz[i] += scale * (1f / (1f + MathF.Exp(-logits.Data[i])) - targets.Data[i]);
        });
    }

    /// <summary>
    /// Mean cross-entropy of <paramref name="logits"/> (rows, classes) against class <paramref name="targets"/>,
    /// skipping rows whose target is <paramref name="ignoreIndex"/> (PyTorch default −100). Fused log-softmax + NLL.
    /// When every row is ignored the loss is 0 with zero gradient (PyTorch returns NaN; we never produce a silent NaN).
    /// </summary>
    /// <exception cref="ArgumentException">Shapes that do not fit, or a target outside 0..classes−1 (<see cref="ArgumentOutOfRangeException"/>).</exception>
    public static Tensor CrossEntropy(Tensor logits, ReadOnlySpan<int> targets, int ignoreIndex = -100)
    {
        if (logits.Rank != 2) throw new ArgumentException($"cross_entropy: logits {logits.Describe()} must be (rows, classes)");
        int rows = logits.Shape[0], classes = logits.Shape[1];
        if (targets.Length != rows) throw new ArgumentException($"cross_entropy: {targets.Length} targets for {rows} rows of {logits.Describe()}");
        var t = targets.ToArray();
        int counted = 0;
        foreach (int c in t)
        {
            if (c == ignoreIndex) continue;
            if ((uint)c >= (uint)classes) throw new ArgumentOutOfRangeException(nameof(targets), $"cross_entropy: target {c} outside 0..{classes - 1} for logits {logits.Describe()}");
            counted++;
        }
        var logp = logits.Detach().LogSoftmax(-1);
        double loss = 0;
        for (int r = 0; r < rows; r++) if (t[r] != ignoreIndex) loss -= logp.Storage[r * classes + t[r]];
        var y = Tensor.Scalar(counted == 0 ? 0f : (float)(loss / counted));
        return Autograd.Record(y, "cross_entropy", [logits], g =>
        {
            if (counted == 0) return;
            // d/dlogits of −log softmax[target] = softmax − onehot, averaged over counted rows
            float scale = g.Storage[0] / counted;
            var dl = logits.GradSpan();
            for (int r = 0; r < rows; r++)
            {
                if (t[r] == ignoreIndex) continue;
                for (int c = 0; c < classes; c++)
                    dl[r * classes + c] += scale * (MathF.Exp(logp.Storage[r * classes + c]) - (c == t[r] ? 1f : 0f));
            }
        });
    }
}
