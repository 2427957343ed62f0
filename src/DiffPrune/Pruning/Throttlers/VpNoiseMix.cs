using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using DiffPrune.Tensors;

namespace DiffPrune.Pruning.Throttlers;

/// <summary>
/// The VP-Noise mix x̃ = √F(m)·x + √(1−F(m))·ε in one pass over the tokens, F the Laplace CDF of the soft top-K margin m
/// of each token: the two square roots are computed once per token in float from e = e^{−|m|} (their closed forms, as
/// <see cref="Laplace"/> writes them), each token's row is one fused multiply-add, and the backward needs two dot
/// products per token. <see cref="Reference"/> is the composition it replaces (Laplace's double-precision ops,
/// reshape, two broadcast products and a sum), kept beside it and tested against it.
/// </summary>
public static class VpNoiseMix
{
    /// <summary>x̃ (B, N, d) from <paramref name="tokens"/> (B, N, d), <paramref name="noise"/> ε (B, N, d) and <paramref name="margins"/> (B, N); differentiable in all three.</summary>
    /// <exception cref="ArgumentException">Shapes that do not fit.</exception>
    public static Tensor Forward(Tensor tokens, Tensor noise, Tensor margins) => Forward(tokens, noise, margins, null);

    /// <summary>
    /// x̃ (B, N_max, d) of a padded batch, row i's first <paramref name="lengths"/>[i] tokens real: those are mixed as by
    /// <see cref="Forward(Tensor, Tensor, Tensor)"/>, padded slots pass through unchanged (x̃ = x, their gradient to x whole,
    /// none to the noise or the margin).
    /// </summary>
    /// <exception cref="ArgumentException">Shapes that do not fit, or lengths outside 1..N_max.</exception>
    public static Tensor Forward(Tensor tokens, Tensor noise, Tensor margins, IReadOnlyList<int>? lengths)
    {
        int rows = CheckShapes(tokens, noise, margins), d = tokens.Shape[2];
        var real = RealTokens(margins, lengths);
        var m = margins.Data;
        var keep = new float[rows];
        var mix = new float[rows];
        for (int r = 0; r < rows; r++) (keep[r], mix[r]) = real == null || real[r] ? Roots(m[r]) : (1f, 0f);
        var y = Tensor.Empty(tokens.Shape); // every row is written
        var x = tokens.Data;
        var eps = noise.Data;
        var outData = y.Data;
        for (int r = 0; r < rows; r++)
        {
            var row = outData.Slice(r * d, d);
            TensorPrimitives.Multiply(x.Slice(r * d, d), keep[r], row);
            TensorPrimitives.MultiplyAdd(eps.Slice(r * d, d), mix[r], row, row);
        }
        return Autograd.Function("vp_noise_mix", y, [tokens, noise, margins], g => Backward(g, tokens, noise, margins, keep, mix, real));
    }

    /// <summary>Per (row, slot), whether it holds a real token; null when every slot does.</summary>
    static bool[]? RealTokens(Tensor margins, IReadOnlyList<int>? lengths) =>
        lengths == null ? null : KeyPadding.ValidSlots(lengths, margins.Shape[0], margins.Shape[1]);

    static Tensor?[] Backward(Tensor g, Tensor tokens, Tensor noise, Tensor margins, float[] keep, float[] mix, bool[]? real)
    {
        int rows = keep.Length, d = tokens.Shape[2];
        var gy = g.Data;
        Tensor? gm = null;
        if (margins.RequiresGrad)
        {
            gm = Tensor.Empty(margins.Shape);
            var m = margins.Data;
            var x = tokens.Data;
            var eps = noise.Data;
            var dm = gm.Data;
            for (int r = 0; r < rows; r++)
            {
                if (real != null && !real[r]) { dm[r] = 0; continue; }
                var (dKeep, dMix) = RootDerivatives(m[r], keep[r], mix[r]);
                var row = gy.Slice(r * d, d);
                dm[r] = dKeep * TensorPrimitives.Dot(row, x.Slice(r * d, d)) + dMix * TensorPrimitives.Dot(row, eps.Slice(r * d, d));
            }
        }
        return [RowScaled(g, tokens, keep), RowScaled(g, noise, mix), gm];
    }

    /// <summary>dL/d(input) = g with row r scaled by <paramref name="scale"/>[r], or null when the input needs none.</summary>
    static Tensor? RowScaled(Tensor g, Tensor input, float[] scale)
    {
        if (!input.RequiresGrad) return null;
        int d = g.Shape[2];
        var grad = Tensor.Empty(input.Shape);
        var src = g.Data;
        var data = grad.Data;
        for (int r = 0; r < scale.Length; r++) TensorPrimitives.Multiply(src.Slice(r * d, d), scale[r], data.Slice(r * d, d));
        return grad;
    }

    /// <summary>√F(m) and √(1−F(m)) from e = e^{−|m|}: ½e below the margin's zero and 1 − ½e above, for F and 1 − F in turn.</summary>
    static (float Keep, float Mix) Roots(float m)
    {
        float half = 0.5f * MathF.Exp(-MathF.Abs(m));
        return m <= 0 ? (MathF.Sqrt(half), MathF.Sqrt(1 - half)) : (MathF.Sqrt(1 - half), MathF.Sqrt(half));
    }

    /// <summary>d√F/dm = f/(2√F) and d√(1−F)/dm = −f/(2√(1−F)), f = ½e^{−|m|}; where a root is √(½e) itself its derivative is
    /// ±½ of it, which stays finite where e underflows.</summary>
    static (float Keep, float Mix) RootDerivatives(float m, float keep, float mix)
    {
        float f = 0.5f * MathF.Exp(-MathF.Abs(m));
        return m <= 0 ? (0.5f * keep, -0.5f * f / mix) : (0.5f * f / keep, -0.5f * mix);
    }

    /// <summary>The composition <see cref="Forward(Tensor, Tensor, Tensor)"/> fuses: √F and √(1−F) by <see cref="Laplace"/>, broadcast over d, two products and a sum.</summary>
    public static Tensor Reference(Tensor tokens, Tensor noise, Tensor margins)
    {
        CheckShapes(tokens, noise, margins);
        int b = margins.Shape[0], n = margins.Shape[1];
        var keep = Laplace.SqrtCdf(margins).Reshape(b, n, 1);
        var mix = Laplace.SqrtSurvival(margins).Reshape(b, n, 1);
        return tokens.Mul(keep).Add(noise.Mul(mix));
    }

    static int CheckShapes(Tensor tokens, Tensor noise, Tensor margins)
    {
        if (tokens.Rank != 3 || margins.Rank != 2 || tokens.Shape[0] != margins.Shape[0] || tokens.Shape[1] != margins.Shape[1] || !tokens.Shape.SequenceEqual(noise.Shape))
            throw new ArgumentException($"VP-Noise mix needs tokens and noise (B, N, d) and margins (B, N); got {tokens.Describe()}, {noise.Describe()} and {margins.Describe()}");
        return margins.Numel;
    }
}
