namespace DiffPrune.Data.Scenes;

/// <summary>A suite's standard score.</summary>
/// <param name="Suite">The suite.</param>
/// <param name="Value">The score in 0..1 (what average retention divides): accuracy, circular accuracy, mean F1, or MME's total / (200 · subtasks).</param>
/// <param name="Display">The score as the benchmark prints it: a percentage with one decimal, or MME's total out of 200 per subtask.</param>
/// <param name="Items">Number of items scored.</param>
/// <param name="Details">Components by name, in 0..1 except MME's per-subtask scores (0..200): e.g. "accuracy", "accuracy/color", "f1/popular", "existence".</param>
public sealed record SuiteScore(SceneSuite Suite, double Value, string Display, int Items, IReadOnlyDictionary<string, double> Details)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Suite.DisplayName()} {Display}";
}
