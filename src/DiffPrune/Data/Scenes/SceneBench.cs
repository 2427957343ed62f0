using DiffPrune.Data.Scenes.Suites;

namespace DiffPrune.Data.Scenes;

/// <summary>
/// SceneBench: synthetic scenes, generated on the fly from seeds, with captions (the pruner's training signal) and ten
/// question suites that mirror the paper's benchmarks by skill. <c>new SceneBench().Split("test", 500)</c> enumerates
/// the first 500 test scenes with their items, lazily; the same seeds give the same scenes and items everywhere.
/// Stateless apart from its options: safe to call from several threads (e.g. one data-loading worker per core).
/// </summary>
public sealed class SceneBench
{
    /// <summary>A bench that generates with <paramref name="options"/> (default <see cref="SceneOptions.Default"/>).</summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public SceneBench(SceneOptions? options = null) => Options = (options ?? SceneOptions.Default).Validate();

    /// <summary>The generation options.</summary>
    public SceneOptions Options { get; }

    /// <summary>The scene of <paramref name="seed"/> with its items.</summary>
    public SceneExample Example(long seed)
    {
        var scene = Scene.Generate(seed, Options);
        return new SceneExample(scene, Questions(scene));
    }

    /// <summary>Scenes <paramref name="start"/> … <paramref name="start"/> + <paramref name="count"/> − 1 of a split, generated as enumerated.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range leaves the split.</exception>
    public IEnumerable<SceneExample> Split(SceneSplit split, int count, long start = 0)
    {
        if (count < 0 || start < 0 || start + count > split.Size())
            throw new ArgumentOutOfRangeException(nameof(count), $"scenes {start}..{start + count - 1} are outside the {split} split (0..{split.Size() - 1})");
        return Enumerate(split.FirstSeed() + start, count);
    }

    /// <summary><paramref name="count"/> training scenes at seeds drawn uniformly from the train split by <paramref name="gen"/>
    /// (training batches: the same generator state gives the same scenes).</summary>
    public static Scene[] DrawTrainingScenes(Tensors.Generator gen, int count, SceneOptions options) =>
        Enumerable.Range(0, count).Select(_ => Scene.Generate((long)(gen.NextUInt64() % (ulong)SceneSplit.Train.Size()), options)).ToArray();

    /// <summary>As <see cref="Split(SceneSplit, int, long)"/>, with the split by name ("train", "val", "test").</summary>
    public IEnumerable<SceneExample> Split(string name, int count, long start = 0) => Split(SceneSplits.Parse(name), count, start);

    IEnumerable<SceneExample> Enumerate(long firstSeed, int count)
    {
        for (int i = 0; i < count; i++) yield return Example(firstSeed + i);
    }

    /// <summary>The items of every suite for <paramref name="scene"/>, grouped by suite.</summary>
    public static IReadOnlyList<SceneQuestion> Questions(Scene scene) => SceneSuites.All.SelectMany(s => Questions(scene, s)).ToArray();

    /// <summary>The items of one suite for <paramref name="scene"/> (each suite draws from its own random stream).</summary>
    public static IReadOnlyList<SceneQuestion> Questions(Scene scene, SceneSuite suite)
    {
        ArgumentNullException.ThrowIfNull(scene);
        return SuiteWriters.Write(scene, suite);
    }

    /// <summary>
    /// Average retention: the mean over the suites of <paramref name="unpruned"/> of pruned score / unpruned score
    /// (1 = nothing lost), as the paper's "Avg." column.
    /// </summary>
    /// <exception cref="ArgumentException">A suite missing from <paramref name="pruned"/>, an unpruned score of 0, or no suites.</exception>
    public static double AverageRetention(IReadOnlyDictionary<SceneSuite, double> pruned, IReadOnlyDictionary<SceneSuite, double> unpruned)
    {
        ArgumentNullException.ThrowIfNull(pruned);
        ArgumentNullException.ThrowIfNull(unpruned);
        if (unpruned.Count == 0) throw new ArgumentException("no unpruned scores to normalise by", nameof(unpruned));
        double sum = 0;
        foreach (var (suite, reference) in unpruned)
        {
            if (!pruned.TryGetValue(suite, out double score))
                throw new ArgumentException($"{suite.DisplayName()} has an unpruned score but no pruned one", nameof(pruned));
            if (!(reference > 0))
                throw new ArgumentException($"{suite.DisplayName()}'s unpruned score is {reference}: retention needs a positive reference", nameof(unpruned));
            sum += score / reference;
        }
        return sum / unpruned.Count;
    }

    /// <summary>As <see cref="AverageRetention(IReadOnlyDictionary{SceneSuite, double}, IReadOnlyDictionary{SceneSuite, double})"/> on <see cref="SuiteScore.Value"/>.</summary>
    public static double AverageRetention(IEnumerable<SuiteScore> pruned, IEnumerable<SuiteScore> unpruned) =>
        AverageRetention(pruned.ToDictionary(s => s.Suite, s => s.Value), unpruned.ToDictionary(s => s.Suite, s => s.Value));
}
