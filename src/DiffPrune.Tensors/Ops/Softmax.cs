namespace DiffPrune.Tensors;

// softmax / log_softmax over one dimension, numerically stable (max subtracted). A row whose entries are
// all −inf (a fully masked attention row) gives zeros instead of NaN.
public sealed partial class Tensor
{
    /// <summary>softmax over <paramref name="dim"/>.</summary>
    public Tensor Softmax(int dim = -1) => SoftmaxImpl(dim, log: false);

    /// <summary>log_softmax over <paramref name="dim"/>.</summary>
    public Tensor LogSoftmax(int dim = -1) => SoftmaxImpl(dim, log: true);

    Tensor SoftmaxImpl(int dim, bool log)
    {
        int d = ShapeUtil.NormDim(dim, Rank);
        var (outer, size, inner) = ShapeUtil.Split(Shape, d);
        var x = this;
        var y = Zeros(Shape);
        float[] xs = Storage, ys = y.Storage;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int b = o * size * inner + i;
                float max = float.NegativeInfinity;
                for (int s = 0; s < size; s++) max = MathF.Max(max, xs[b + s * inner]);
                if (float.IsNegativeInfinity(max))
                {
                    for (int s = 0; s < size; s++) ys[b + s * inner] = log ? float.NegativeInfinity : 0f;
                    continue;
                }
                double sum = 0;
                for (int s = 0; s < size; s++)
                {
                    float e = MathF.Exp(xs[b + s * inner] - max);
                    if (!log) ys[b + s * inner] = e;
                    sum += e;
                }
                if (log)
                {
                    float lse = max + (float)Math.Log(sum);
                    for (int s = 0; s < size; s++) ys[b + s * inner] = xs[b + s * inner] - lse;
                }
                else
                {
                    float inv = (float)(1.0 / sum);
                    for (int s = 0; s < size; s++) ys[b + s * inner] *= inv;
                }
            }
        return Autograd.Record(y, log ? "log_softmax" : "softmax", [x], g =>
        {
            var dx = x.GradSpan();
            float[] gs = g.Storage;
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    int b = o * size * inner + i;
                    double dot = 0;
                    if (log)
                    {
                        // y = x − lse(x): dx = g − softmax(x)·Σg
                        for (int s = 0; s < size; s++) dot += gs[b + s * inner];
                        for (int s = 0; s < size; s++)
                        {
                            float ly = ys[b + s * inner];
                            if (!float.IsNegativeInfinity(ly)) dx[b + s * inner] += gs[b + s * inner] - MathF.Exp(ly) * (float)dot;
                        }
                    }
                    else
                    {
                        // y = softmax(x): dx = y ⊙ (g − ⟨g, y⟩)
                        for (int s = 0; s < size; s++) dot += gs[b + s * inner] * ys[b + s * inner];
                        for (int s = 0; s < size; s++) dx[b + s * inner] += ys[b + s * inner] * (gs[b + s * inner] - (float)dot);
                    }
                }
        });
    }
}
