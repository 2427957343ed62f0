namespace DiffPrune.Data.Scenes;

/// <summary>A scene with its caption and its items of every suite.</summary>
/// <param name="Scene">The scene (image, objects, patch labels, caption).</param>
/// <param name="Items">Items of all suites, grouped by suite in <see cref="SceneSuites.All"/> order.</param>
public sealed record SceneExample(Scene Scene, IReadOnlyList<SceneQuestion> Items)
{
    /// <summary>The scene's caption.</summary>
    public string Caption => Scene.Caption;

    /// <summary>The items of one suite.</summary>
    public IEnumerable<SceneQuestion> ItemsOf(SceneSuite suite) => Items.Where(i => i.Suite == suite);
}
