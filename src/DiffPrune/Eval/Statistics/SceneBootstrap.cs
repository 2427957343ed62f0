using DiffPrune.Data.Scenes;
using DiffPrune.Tensors;

namespace DiffPrune.Eval.Statistics;

/// <summary>
/// The nonparametric bootstrap over test scenes: each resample draws as many scenes as there are, with replacement,
/// and every method is scored on the same resamples, so that two methods' scores stay paired (same scenes, same
/// questions) and a difference's interval reflects how the methods differ on a scene, not how scenes differ.
/// A resample is a count per scene; a suite's score on it is <see cref="SuiteTally.Value"/> of the count-weighted sum
/// of the scenes' tallies, which is what scoring the resampled questions directly gives.
/// </summary>
public sealed class SceneBootstrap
{
    /// <summary>Resamples of every interval the reports print.</summary>
    public const int DefaultResamples = 2000;

    // [resample][scene]: how often each scene is drawn
    readonly int[][] _counts;

    SceneBootstrap(int scenes, int[][] counts) => (Scenes, _counts) = (scenes, counts);

    /// <summary><paramref name="resamples"/> seeded resamples of <paramref name="scenes"/> scenes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 1 scene or resample.</exception>
    public SceneBootstrap(int scenes, int resamples = DefaultResamples, ulong seed = 0)
        : this(scenes, Draw(scenes, resamples, seed))
    {
    }

    /// <summary>
    /// A bootstrap on given resamples, each the indices of the scenes drawn (for instance all nⁿ index tuples of a tiny
    /// set: the exact bootstrap distribution).
    /// </summary>
    /// <exception cref="ArgumentException">No resample, or a resample that does not draw exactly <paramref name="scenes"/> indices in 0..scenes − 1.</exception>
    public static SceneBootstrap FromResamples(int scenes, IEnumerable<IReadOnlyList<int>> drawn)
    {
        var counts = drawn.Select((d, r) =>
        {
            if (d.Count != scenes || d.Any(i => i < 0 || i >= scenes))
                throw new ArgumentException($"resample {r} must draw {scenes} scene indices in 0..{scenes - 1}, got [{string.Join(", ", d)}]", nameof(drawn));
            var c = new int[scenes];
            foreach (int i in d) c[i]++;
            return c;
        }).ToArray();
        if (counts.Length == 0) throw new ArgumentException("no resamples given", nameof(drawn));
        return new SceneBootstrap(scenes, counts);
    }

    static int[][] Draw(int scenes, int resamples, ulong seed)
    {
        if (scenes < 1) throw new ArgumentOutOfRangeException(nameof(scenes), $"a bootstrap needs at least 1 scene (got {scenes})");
        if (resamples < 1) throw new ArgumentOutOfRangeException(nameof(resamples), $"a bootstrap needs at least 1 resample (got {resamples})");
        var gen = new Generator(seed);
        var counts = new int[resamples][];
        for (int r = 0; r < resamples; r++)
        {
            counts[r] = new int[scenes];
            for (int i = 0; i < scenes; i++) counts[r][gen.NextInt(scenes)]++;
        }
        return counts;
    }

    /// <summary>Number of scenes each resample draws.</summary>
    public int Scenes { get; }

    /// <summary>Number of resamples.</summary>
    public int Resamples => _counts.Length;

    /// <summary>How often resample <paramref name="resample"/> draws each scene.</summary>
    public ReadOnlySpan<int> Counts(int resample) => _counts[resample];

    /// <summary>Every suite's score of one method on every resample (and on the scenes as drawn).</summary>
    /// <exception cref="ArgumentException">Tallies of another number of scenes.</exception>
    public ResampledScores Resample(SceneTallies tallies)
    {
        ArgumentNullException.ThrowIfNull(tallies);
        if (tallies.Scenes != Scenes) throw new ArgumentException($"the tallies cover {tallies.Scenes} scenes, the bootstrap {Scenes}", nameof(tallies));
        var values = new double[SceneSuites.All.Count][];
        var point = new double[SceneSuites.All.Count];
        var ones = Enumerable.Repeat(1, Scenes).ToArray();
        for (int i = 0; i < SceneSuites.All.Count; i++)
        {
            var suite = SceneSuites.All[i];
            var t = tallies.Suite(i);
            var totals = new double[SuiteTally.Length(suite)];
            values[i] = new double[Resamples];
            for (int r = 0; r < Resamples; r++) values[i][r] = SuiteTally.Value(suite, WeightedSum(totals, t, _counts[r]));
            point[i] = SuiteTally.Value(suite, WeightedSum(totals, t, ones));
        }
        return new ResampledScores(values, point);
    }

    /// <summary>totals = Σ_scenes count[s] · tally[s], skipping scenes not drawn.</summary>
    static double[] WeightedSum(double[] totals, ReadOnlySpan<double> tallies, int[] counts)
    {
        int d = totals.Length;
        Array.Clear(totals);
        for (int s = 0; s < counts.Length; s++)
        {
            int c = counts[s];
            if (c == 0) continue;
            var row = tallies.Slice(s * d, d);
            for (int j = 0; j < d; j++) totals[j] += c * row[j];
        }
        return totals;
    }
}
