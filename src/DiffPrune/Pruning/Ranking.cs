namespace DiffPrune.Pruning;

/// <summary>Deterministic ranking: higher score first, ties to the lower index (so batch and order never change a choice).</summary>
internal static class Ranking
{
    /// <summary>The <paramref name="k"/> best of <paramref name="candidates"/> by <paramref name="score"/>, best first.</summary>
    public static int[] Top(int k, IEnumerable<int> candidates, Func<int, double> score) =>
        candidates.OrderByDescending(score).ThenBy(i => i).Take(k).ToArray();

    /// <summary>Every candidate, best first.</summary>
    public static int[] Descending(IEnumerable<int> candidates, Func<int, double> score) => Top(int.MaxValue, candidates, score);
}
