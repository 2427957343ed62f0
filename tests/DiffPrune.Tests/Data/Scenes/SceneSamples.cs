using DiffPrune.Data.Scenes;

namespace DiffPrune.Tests.Data.Scenes;

/// <summary>Scenes shared by the tests (generated once per test run).</summary>
internal static class SceneSamples
{
    static readonly Lazy<SceneExample[]> TestExamples = new(() => new SceneBench().Split(SceneSplit.Test, 500).ToArray());

    /// <summary>The first 500 test scenes with their items.</summary>
    public static SceneExample[] Test => TestExamples.Value;

    /// <summary>Every item of <paramref name="suite"/> over the shared scenes, with its scene.</summary>
    public static IEnumerable<(Scene Scene, SceneQuestion Item)> Items(SceneSuite suite) =>
        Test.SelectMany(e => e.ItemsOf(suite).Select(i => (e.Scene, i)));

    /// <summary>The region named by <paramref name="phrase"/> ("top left").</summary>
    public static SceneRegion Region(string phrase) => SceneAttributes.Regions.Single(r => r.Word() == phrase);

    /// <summary>The object named "colour shape" in <paramref name="scene"/>, or null; throws if the name is no kind.</summary>
    public static SceneObject? Named(Scene scene, string name)
    {
        var parts = name.Split(' ');
        var color = SceneAttributes.Colors.Single(c => c.Word() == parts[0]);
        var shape = SceneAttributes.Shapes.Single(s => s.Word() == parts[1]);
        return scene.Find(color, shape);
    }

    /// <summary>The text between <paramref name="before"/> and <paramref name="after"/> in <paramref name="text"/>.</summary>
    public static string Between(string text, string before, string after)
    {
        int start = text.IndexOf(before, StringComparison.Ordinal);
        Assert.True(start >= 0, $"'{before}' not in '{text}'");
        start += before.Length;
        int end = text.IndexOf(after, start, StringComparison.Ordinal);
        Assert.True(end >= 0, $"'{after}' not after '{before}' in '{text}'");
        return text[start..end];
    }
}
