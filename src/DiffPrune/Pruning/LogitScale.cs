using DiffPrune.Tensors;

namespace DiffPrune.Pruning;

/// <summary>
/// What τ divides in Soft Top-K during training. With <see cref="Raw"/> logits (the paper read literally) the scorer can
/// shrink its logits as τ anneals and so keep α soft; <see cref="Standardized"/> first takes each image's logits to zero
/// mean and unit standard deviation, so that τ alone sets the spread that Soft Top-K sees. Both are strictly increasing
/// per image, so the hard top-K deployed at inference ranks tokens exactly as the raw logits do.
/// </summary>
public enum LogitScale
{
    /// <summary>α = Φ_K(s/τ): the scorer also controls the effective temperature.</summary>
    Raw,
    /// <summary>α = Φ_K(((s − mean s)/std s)/τ) per image: τ is the temperature the schedule says.</summary>
    Standardized,
}

/// <summary>Applies a <see cref="LogitScale"/>.</summary>
public static class LogitScales
{
    // keeps the division finite for an image whose logits are all equal (then every token ties anyway)
    const float Epsilon = 1e-6f;

    /// <summary>The logits (B, N) Soft Top-K divides by τ, differentiable.</summary>
    public static Tensor Apply(this LogitScale scale, Tensor logits) => scale switch
    {
        LogitScale.Raw => logits,
        LogitScale.Standardized => Standardize(logits),
        _ => throw new ArgumentOutOfRangeException(nameof(scale), $"unknown logit scale {scale}"),
    };

    static Tensor Standardize(Tensor logits)
    {
        var centred = logits.Sub(logits.Mean(-1, keepDim: true));
        var std = centred.Mul(centred).Mean(-1, keepDim: true).Add(Epsilon).Sqrt();
        return centred.Div(std);
    }

    /// <summary>Mean over the images of <paramref name="logits"/> (B, N) of each image's standard deviation of its logits.</summary>
    public static double Spread(Tensor logits)
    {
        int n = logits.Shape[^1], rows = logits.Numel / n;
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            var row = logits.Data.Slice(r * n, n);
            double mean = 0, square = 0;
            foreach (float v in row) mean += v;
            mean /= n;
            foreach (float v in row) square += (v - mean) * (v - mean);
            total += Math.Sqrt(square / n);
        }
        return total / Math.Max(rows, 1);
    }
}
