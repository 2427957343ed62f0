using DiffPrune.Tensors;

namespace DiffPrune.Probes;

/// <summary>
/// A filter-normalised 2-D slice of a loss around trained weights θ* (Li et al., NeurIPS 2018): L(θ* + a·d1 + b·d2) on a
/// grid of (a, b). Each direction is Gaussian per parameter tensor, then every filter (a row of a weight matrix: one output
/// unit) is rescaled to the norm of the same filter of θ*, so that the slice is comparable across networks whose weights
/// differ in scale. One-dimensional parameters (biases) get zero direction, Li et al.'s "ignore biasbn" choice.
/// </summary>
public static class LossLandscape
{
    /// <summary>A filter-normalised random direction for <paramref name="parameters"/> (one tensor per parameter, same shapes).</summary>
    public static Tensor[] FilterNormalizedDirection(IReadOnlyList<Tensor> parameters, Generator gen)
    {
        var direction = new Tensor[parameters.Count];
        for (int k = 0; k < parameters.Count; k++)
        {
            var p = parameters[k];
            var d = Tensor.Randn(gen, p.Shape);
            if (p.Rank <= 1) d.Data.Clear();
            else
            {
                int rows = p.Shape[0], cols = p.Numel / rows;
                for (int r = 0; r < rows; r++)
                {
                    var dr = d.Data.Slice(r * cols, cols);
                    var pr = p.Data.Slice(r * cols, cols);
                    double dn = Norm(dr), pn = Norm(pr);
                    float scale = dn > 0 ? (float)(pn / dn) : 0f;
                    for (int i = 0; i < cols; i++) dr[i] *= scale;
                }
            }
            direction[k] = d;
        }
        return direction;
    }

    static double Norm(ReadOnlySpan<float> v)
    {
        double s = 0;
        foreach (float x in v) s += (double)x * x;
        return Math.Sqrt(s);
    }

    /// <summary>
    /// <paramref name="loss"/>() with <paramref name="parameters"/> moved to θ* + a·d1 + b·d2; the parameters are restored
    /// to θ* (bit for bit) before returning.
    /// </summary>
    public static double At(IReadOnlyList<Tensor> parameters, Tensor[] d1, Tensor[] d2, double a, double b, Func<double> loss)
    {
        var saved = parameters.Select(p => p.ToArray()).ToArray();
        try
        {
            for (int k = 0; k < parameters.Count; k++)
            {
                var w = parameters[k].Data;
                Span<float> u = d1[k].Data, v = d2[k].Data;
                for (int i = 0; i < w.Length; i++) w[i] = (float)(saved[k][i] + a * u[i] + b * v[i]);
            }
            return loss();
        }
        finally
        {
            for (int k = 0; k < parameters.Count; k++) saved[k].CopyTo(parameters[k].Data);
        }
    }

    /// <summary>
    /// The paper's roughness measure (Fig. 2c): mean of |L(β_{j+1}) − L(β_j)| over consecutive grid points along d2 (the
    /// second index of <paramref name="loss"/>[i][j]), over every line of the grid.
    /// </summary>
    public static double MeanStepwiseVariation(IReadOnlyList<IReadOnlyList<double>> loss) => StepwiseVariationProfile(loss).Average();

    /// <summary>
    /// Roughness independent of slope: mean |L(β_{j+1}) − 2L(β_j) + L(β_{j−1})| along d2 over every line of the grid. A plane
    /// scores 0 however steep it is; kinks and jumps (a piecewise-constant loss) score high. A complement to
    /// <see cref="MeanStepwiseVariation"/>, which a steep smooth surface also raises.
    /// </summary>
    public static double MeanSecondDifference(IReadOnlyList<IReadOnlyList<double>> loss)
    {
        if (loss[0].Count < 3) throw new ArgumentException("second differences need at least three points along d2");
        return loss.Average(line => Enumerable.Range(1, line.Count - 2).Average(j => Math.Abs(line[j + 1] - 2 * line[j] + line[j - 1])));
    }

    /// <summary>|L(β_{j+1}) − L(β_j)| along d2 for each step j, averaged over the grid's lines (the curve of Fig. 2c).</summary>
    public static double[] StepwiseVariationProfile(IReadOnlyList<IReadOnlyList<double>> loss)
    {
        int steps = loss[0].Count - 1;
        if (steps < 1) throw new ArgumentException("stepwise variation needs at least two points along d2");
        return Enumerable.Range(0, steps).Select(j => loss.Average(line => Math.Abs(line[j + 1] - line[j]))).ToArray();
    }
}
