using DiffPrune.Data.Scenes;
using DiffPrune.Eval;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Eval.Statistics;

/// <summary>Real SceneBench test scenes answered by a made-up method whose right and wrong answers the test chooses.</summary>
internal static class SyntheticOutcomes
{
    static readonly Lazy<SceneExample[]> Scenes = new(() => new SceneBench().Split(SceneSplit.Test, 12).ToArray());

    /// <summary>Twelve test scenes with items of all ten suites.</summary>
    public static SceneExample[] Examples => Scenes.Value;

    /// <summary>An answer <see cref="SuiteScoring.IsCorrect"/> accepts.</summary>
    public static string Right(SceneQuestion item) => item.Answer;

    /// <summary>An answer it rejects (yes and no swapped, so that POPE sees false positives too).</summary>
    public static string Wrong(SceneQuestion item) => item.Answer == "yes" ? "no" : item.Answer == "no" ? "yes" : "zzz";

    /// <summary>Each scene's items answered right where <paramref name="right"/>(scene, item index) says so.</summary>
    public static SceneOutcome[] Answer(IReadOnlyList<SceneExample> examples, Func<int, int, bool> right) =>
        examples.Select((e, s) => new SceneOutcome(e.Scene.Seed, e.Items, e.Items.Select((q, i) => right(s, i) ? Right(q) : Wrong(q)).ToArray())).ToArray();

    /// <summary>A method right with probability <paramref name="skill"/>(scene) on each item, drawn from <paramref name="seed"/>.</summary>
    public static SceneOutcome[] Random(IReadOnlyList<SceneExample> examples, Func<int, double> skill, ulong seed)
    {
        var gen = new Generator(seed);
        return Answer(examples, (s, _) => gen.NextDouble() < skill(s));
    }

    /// <summary>
    /// The items and predictions of a resample scored directly: scene s repeated counts[s] times, each copy given a seed
    /// of its own (a copy is a scene of its own, not more questions of the same scene).
    /// </summary>
    public static (SceneQuestion[] Items, string[] Predictions) Resampled(IReadOnlyList<SceneOutcome> outcomes, ReadOnlySpan<int> counts)
    {
        var items = new List<SceneQuestion>();
        var predictions = new List<string>();
        for (int s = 0; s < outcomes.Count; s++)
            for (int copy = 0; copy < counts[s]; copy++)
            {
                long seed = 1_000_000L * (copy + 1) + s;
                items.AddRange(outcomes[s].Items.Select(q => q with { SceneSeed = seed }));
                predictions.AddRange(outcomes[s].Predictions);
            }
        return (items.ToArray(), predictions.ToArray());
    }

    /// <summary>Every suite scored by <see cref="SuiteScoring.Score"/> on the given items (suites without items left out).</summary>
    public static Dictionary<SceneSuite, double> Score(SceneQuestion[] items, string[] predictions) =>
        SceneSuites.All.Where(s => items.Any(i => i.Suite == s)).ToDictionary(s => s, s =>
        {
            var idx = Enumerable.Range(0, items.Length).Where(i => items[i].Suite == s).ToArray();
            return SuiteScoring.Score(s, idx.Select(i => items[i]).ToArray(), idx.Select(i => predictions[i]).ToArray()).Value;
        });
}
