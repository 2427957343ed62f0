using DiffPrune.Data.Scenes;

namespace DiffPrune.Eval.Statistics;

/// <summary>
/// One method's <see cref="SuiteTally"/> of every suite on every test scene: the sufficient statistics from which any
/// resample of the scenes gives the suite scores by a weighted sum.
/// </summary>
public sealed class SceneTallies
{
    // per suite (SceneSuites.All order): scene-major tallies, [scene * SuiteTally.Length(suite) + entry]
    readonly double[][] _bySuite;

    SceneTallies(int scenes, double[][] bySuite) => (Scenes, _bySuite) = (scenes, bySuite);

    /// <summary>Number of scenes.</summary>
    public int Scenes { get; }

    /// <summary>The tallies of <paramref name="scenes"/>' answers.</summary>
    /// <exception cref="ArgumentException">No scenes, or a scene whose items and predictions do not match.</exception>
    public static SceneTallies From(IReadOnlyList<SceneOutcome> scenes)
    {
        ArgumentNullException.ThrowIfNull(scenes);
        if (scenes.Count == 0) throw new ArgumentException("no scenes to tally", nameof(scenes));
        var bySuite = SceneSuites.All.Select(suite =>
        {
            int length = SuiteTally.Length(suite);
            var all = new double[scenes.Count * length];
            for (int s = 0; s < scenes.Count; s++)
            {
                var o = scenes[s];
                if (o.Items.Count != o.Predictions.Count)
                    throw new ArgumentException($"scene {o.SceneSeed}: {o.Items.Count} items but {o.Predictions.Count} predictions", nameof(scenes));
                var idx = Enumerable.Range(0, o.Items.Count).Where(i => o.Items[i].Suite == suite).ToArray();
                SuiteTally.Of(suite, idx.Select(i => o.Items[i]).ToArray(), idx.Select(i => o.Predictions[i]).ToArray()).CopyTo(all, s * length);
            }
            return all;
        }).ToArray();
        return new SceneTallies(scenes.Count, bySuite);
    }

    /// <summary>The tallies of suite number <paramref name="suite"/> (in <see cref="SceneSuites.All"/>), scene-major.</summary>
    internal ReadOnlySpan<double> Suite(int suite) => _bySuite[suite];
}
