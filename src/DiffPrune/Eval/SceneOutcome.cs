using DiffPrune.Data.Scenes;

namespace DiffPrune.Eval;

/// <summary>One test scene's questions and the answers a method gave, in the same order.</summary>
/// <param name="SceneSeed">The scene's seed.</param>
/// <param name="Items">Its items of every suite (VizWiz's on the degraded image).</param>
/// <param name="Predictions">The answer to each item.</param>
public sealed record SceneOutcome(long SceneSeed, IReadOnlyList<SceneQuestion> Items, IReadOnlyList<string> Predictions);
