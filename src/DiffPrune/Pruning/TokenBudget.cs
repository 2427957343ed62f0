namespace DiffPrune.Pruning;

/// <summary>The budget K: how many of an image's N visual tokens a pruning method keeps.</summary>
public static class TokenBudget
{
    /// <summary>Returns <paramref name="keep"/> when 1 ≤ K ≤ N.</summary>
    /// <exception cref="ArgumentOutOfRangeException">K outside 1..N (the message names both).</exception>
    public static int Check(int keep, int tokens, string paramName = "keep")
    {
        if (keep < 1 || keep > tokens) throw new ArgumentOutOfRangeException(paramName, $"K must be in 1..N (got K = {keep}, N = {tokens})");
        return keep;
    }

    /// <summary>K for keeping <paramref name="fraction"/> of N tokens: round(fraction·N), at least 1 (1/9, 2/9, 1/3 of 144 are 16, 32, 48).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A fraction outside (0, 1].</exception>
    public static int FromFraction(double fraction, int tokens)
    {
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), $"the kept fraction must be in (0, 1], got {fraction}");
        return Math.Max(1, (int)Math.Round(fraction * tokens, MidpointRounding.AwayFromZero));
    }
}
