using DiffPrune.Data.Scenes;

namespace DiffPrune.Eval;

/// <summary>A method's suite scores and the per-scene answers they were computed from.</summary>
/// <param name="Scores">Per suite, in <see cref="SceneSuites.All"/> order.</param>
/// <param name="Scenes">Per test scene, in the order given.</param>
public sealed record SceneBenchResult(IReadOnlyList<SuiteScore> Scores, IReadOnlyList<SceneOutcome> Scenes);
