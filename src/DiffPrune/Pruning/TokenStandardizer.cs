using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Pruning;

/// <summary>
/// Per-channel standardisation of visual features with training-set statistics. The VP-Noise form
/// √α x + √(1−α) ε assumes unit-scale tokens; raw ViT features are not (channel means far from 0, stds from 0.2
/// to 1.1), so the throttler works on standardised tokens and <see cref="Restore"/> maps them back. A module so that
/// the statistics travel in checkpoints (<c>mean</c>, <c>std</c>); they never train.
/// </summary>
public sealed class TokenStandardizer : Module
{
    /// <summary>Channel means (d).</summary>
    public Tensor Mean { get; }

    /// <summary>Channel standard deviations (d), floored at 1e-6.</summary>
    public Tensor Std { get; }

    /// <summary>A standardiser with the given statistics.</summary>
    public TokenStandardizer(Tensor mean, Tensor std)
    {
        if (mean.Rank != 1 || std.Rank != 1 || mean.Numel != std.Numel)
            throw new ArgumentException($"standardiser statistics must be two vectors of one length (got {mean.Describe()} and {std.Describe()})");
        Mean = Parameter("mean", mean.Detach().Clone());
        Std = Parameter("std", std.Detach().Clone());
        RequiresGrad(false);
    }

    /// <summary>Statistics of <paramref name="features"/> (..., d) over every token.</summary>
    public static TokenStandardizer Fit(Tensor features)
    {
        int d = features.Shape[^1], rows = features.Numel / d;
        if (rows < 2) throw new ArgumentException($"need at least 2 tokens to estimate channel statistics (got {rows})");
        var mean = new double[d];
        var sq = new double[d];
        var x = features.Data;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < d; c++)
            {
                double v = x[r * d + c];
                mean[c] += v;
                sq[c] += v * v;
            }
        var m = new float[d];
        var s = new float[d];
        for (int c = 0; c < d; c++)
        {
            double mu = mean[c] / rows;
            m[c] = (float)mu;
            s[c] = (float)Math.Max(Math.Sqrt(Math.Max(sq[c] / rows - mu * mu, 0)), 1e-6);
        }
        return new TokenStandardizer(Tensor.FromArray(m, d), Tensor.FromArray(s, d));
    }

    /// <summary>(x − μ) / σ.</summary>
    public Tensor Standardize(Tensor x) => x.Sub(Mean).Div(Std);

    /// <summary>x σ + μ.</summary>
    public Tensor Restore(Tensor x) => x.Mul(Std).Add(Mean);
}
