using DiffPrune.Data.Scenes;

namespace DiffPrune.Eval.Statistics;

/// <summary>
/// One method's suite scores on every resample of a <see cref="SceneBootstrap"/> (and on the scenes themselves),
/// from which its average retention per resample follows.
/// </summary>
public sealed class ResampledScores
{
    // [suite in SceneSuites.All order][resample]
    readonly double[][] _values;
    readonly double[] _point;

    internal ResampledScores(double[][] values, double[] point) => (_values, _point) = (values, point);

    /// <summary>Number of resamples.</summary>
    public int Resamples => _values[0].Length;

    /// <summary><paramref name="suite"/>'s score on resample <paramref name="resample"/> (NaN when it has no items there).</summary>
    public double Value(SceneSuite suite, int resample) => _values[Index(suite)][resample];

    /// <summary><paramref name="suite"/>'s score on the scenes as drawn (each once): the point value.</summary>
    public double PointValue(SceneSuite suite) => _point[Index(suite)];

    /// <summary>
    /// Average retention against <paramref name="unpruned"/> on every resample: the estimator of
    /// <see cref="EvaluationTable.Retention"/> applied to each resample, i.e. the mean over <paramref name="suites"/> (default
    /// all) of this method's score / the unpruned score, over the suites the unpruned model scores above 0 in that
    /// resample; NaN where it scores 0 on all. The denominator is resampled with the numerator.
    /// </summary>
    /// <exception cref="ArgumentException">The two come from bootstraps of different sizes.</exception>
    public double[] Retention(ResampledScores unpruned, IReadOnlyCollection<SceneSuite>? suites = null)
    {
        ArgumentNullException.ThrowIfNull(unpruned);
        if (unpruned.Resamples != Resamples) throw new ArgumentException($"{Resamples} resamples against {unpruned.Resamples}: use one bootstrap for both", nameof(unpruned));
        var used = SceneSuites.All.Select((s, i) => (s, i)).Where(p => suites == null || suites.Contains(p.s)).Select(p => p.i).ToArray();
        var retention = new double[Resamples];
        for (int r = 0; r < Resamples; r++)
        {
            double sum = 0;
            int count = 0;
            foreach (int i in used)
            {
                double reference = unpruned._values[i][r];
                if (!(reference > 0)) continue;
                sum += _values[i][r] / reference;
                count++;
            }
            retention[r] = count == 0 ? double.NaN : sum / count;
        }
        return retention;
    }

    static int Index(SceneSuite suite)
    {
        for (int i = 0; i < SceneSuites.All.Count; i++)
            if (SceneSuites.All[i] == suite) return i;
        throw new ArgumentOutOfRangeException(nameof(suite), $"unknown suite {suite}");
    }
}
