using System.Globalization;

namespace DiffPrune.Data.Scenes;

/// <summary>Average retention as reports print it.</summary>
public static class RetentionText
{
    /// <summary>"61.2 %", or "undefined (GQA score 0 unpruned)" when a reference score is 0.</summary>
    public static string Describe(IReadOnlyList<SuiteScore> pruned, IReadOnlyList<SuiteScore> unpruned)
    {
        var zero = unpruned.Where(s => !(s.Value > 0)).Select(s => s.Suite.DisplayName()).ToList();
        return zero.Count > 0
            ? $"undefined ({string.Join(", ", zero)} score 0 unpruned)"
            : (SceneBench.AverageRetention(pruned, unpruned) * 100).ToString("F1", CultureInfo.InvariantCulture) + " %";
    }
}
