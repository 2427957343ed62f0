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

    /// <summary>
    /// The logits (B, N_max) of a padded batch Soft Top-K divides by τ, differentiable: each row's first
    /// <paramref name="lengths"/>[i] as <see cref="Apply(LogitScale, Tensor)"/> gives them for that row alone (mean and
    /// spread over its real tokens only); padded slots come out as 0 (Soft Top-K ignores them) and get no gradient.
    /// </summary>
    /// <exception cref="ArgumentException">Logits not (B, N_max), or lengths outside 1..N_max (named).</exception>
    public static Tensor Apply(this LogitScale scale, Tensor logits, IReadOnlyList<int> lengths)
    {
        if (logits.Rank != 2 || lengths.Count != logits.Shape[0] || lengths.Any(n => n < 1 || n > logits.Shape[1]))
            throw new ArgumentException($"logits {logits.Describe()} of a padded batch need one token count in 1..N_max per row; got [{string.Join(", ", lengths)}]", nameof(lengths));
        if (scale == LogitScale.Raw || lengths.All(n => n == logits.Shape[1])) return scale.Apply(logits);
        if (scale != LogitScale.Standardized) throw new ArgumentOutOfRangeException(nameof(scale), $"unknown logit scale {scale}");
        var (valid, count) = Real(lengths, logits.Shape[1]);
        var centred = logits.Sub(logits.Mul(valid).Sum(-1, keepDim: true).Div(count)).Mul(valid);
        var std = centred.Mul(centred).Sum(-1, keepDim: true).Div(count).Add(Epsilon).Sqrt();
        return centred.Div(std);
    }

    /// <summary>(B, N_max) with 1 at real slots, and (B, 1) with N_i.</summary>
    static (Tensor Valid, Tensor Count) Real(IReadOnlyList<int> lengths, int slots)
    {
        var flags = KeyPadding.ValidSlots(lengths, lengths.Count, slots);
        var valid = Tensor.FromArray(flags.Select(f => f ? 1f : 0f).ToArray(), [lengths.Count, slots]);
        return (valid, Tensor.FromArray(lengths.Select(n => (float)n).ToArray(), [lengths.Count, 1]));
    }

    static Tensor Standardize(Tensor logits)
    {
        var centred = logits.Sub(logits.Mean(-1, keepDim: true));
        var std = centred.Mul(centred).Mean(-1, keepDim: true).Add(Epsilon).Sqrt();
        return centred.Div(std);
    }

    /// <summary>Mean over the images of <paramref name="logits"/> (B, N) of each image's standard deviation of its logits.</summary>
    public static double Spread(Tensor logits) => Spread(logits, null);

    /// <summary>Mean over the images of a padded batch of <paramref name="logits"/> (B, N_max) of the standard deviation of each
    /// image's first <paramref name="lengths"/>[i] logits (all N when null).</summary>
    public static double Spread(Tensor logits, IReadOnlyList<int>? lengths)
    {
        int slots = logits.Shape[^1], rows = logits.Numel / slots;
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            int n = lengths?[r] ?? slots;
            var row = logits.Data.Slice(r * slots, n);
            double mean = 0, square = 0;
            foreach (float v in row) mean += v;
            mean /= n;
            foreach (float v in row) square += (v - mean) * (v - mean);
            total += Math.Sqrt(square / n);
        }
        return total / Math.Max(rows, 1);
    }
}
