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

    /// <summary>K for keeping <paramref name="fraction"/> of N tokens: round(fraction·N), at least 1 (1/9, 2/9, 1/3 of 144 are 16, 32, 48).
    /// Rounds as <see cref="FromRate(double, int)"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A fraction outside (0, 1].</exception>
    public static int FromFraction(double fraction, int tokens)
    {
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), $"the kept fraction must be in (0, 1], got {fraction}");
        return Math.Max(1, (int)Math.Round(fraction * tokens, MidpointRounding.AwayFromZero));
    }

    /// <summary>
    /// K = round(<paramref name="rate"/> × N) for an image of N tokens, at least 1 and at most N: the paper's budget for
    /// Qwen2.5-VL, whose images hold different N. The rate is the kept share (a pruning rate p keeps 1 − p: 88.9 % pruning is
    /// rate 1/9). The product is taken in double and a tie (rate × N exactly m + ½) rounds away from zero, to m + 1, not to the
    /// even neighbour (banker's rounding, Python's <c>round</c>): at a tie every image then keeps at least its share
    /// (K/N ≥ rate), whereas banker's rounding would give odd and even m opposite sides of it, so that two images of the same
    /// rate and nearly the same size would be pruned differently hard; it also matches <see cref="FromFraction"/>, so a
    /// rate and the fixed K of the LLaVA tables agree wherever N is the same (1/9 of 576 is 64 either way).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A rate outside (0, 1], or N below 1.</exception>
    public static int FromRate(double rate, int tokens)
    {
        if (!(rate > 0 && rate <= 1)) throw new ArgumentOutOfRangeException(nameof(rate), $"the kept rate must be in (0, 1] (a pruning rate p keeps 1 − p), got {rate}");
        if (tokens < 1) throw new ArgumentOutOfRangeException(nameof(tokens), $"an image needs at least 1 visual token to keep any (got N = {tokens})");
        return Math.Clamp((int)Math.Round(rate * tokens, MidpointRounding.AwayFromZero), 1, tokens);
    }

    /// <summary>K_i = <see cref="FromRate(double, int)"/> for each image's N_i.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A rate outside (0, 1], or an N_i below 1.</exception>
    public static int[] FromRate(double rate, IReadOnlyList<int> tokens) => tokens.Select(n => FromRate(rate, n)).ToArray();
}
