using System.Globalization;
using DiffPrune.Pruning;

namespace DiffPrune.Eval;

/// <summary>
/// Budgets as kept fractions of N, the way every table states them: "1/3,2/9,1/9" (the paper's 192/128/64 of 576) or
/// decimals ("0.25"). Each maps to K with <see cref="TokenBudget.FromFraction"/>.
/// </summary>
public static class BudgetFractions
{
    /// <summary>The paper's three budgets, 1/3, 2/9 and 1/9 of N (66.7 %, 77.8 % and 88.9 % pruning).</summary>
    public static IReadOnlyList<double> Default { get; } = [1.0 / 3, 2.0 / 9, 1.0 / 9];

    /// <summary>The paper's tightest budget, 1/9 of N (88.9 % pruning; Table 4's K = 64 of 576).</summary>
    public const double Tightest = 1.0 / 9;

    /// <summary>The fractions in <paramref name="list"/>, comma-separated, each a fraction "a/b" or a decimal, each in (0, 1).</summary>
    /// <exception cref="ArgumentException">An empty list, an unreadable entry, or a fraction outside (0, 1) (the message says which).</exception>
    public static IReadOnlyList<double> Parse(string list)
    {
        var items = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (items.Length == 0) throw new ArgumentException($"no budgets in '{list}': give kept fractions of N such as 1/3,2/9,1/9");
        return items.Select(ParseOne).ToArray();
    }

    /// <summary>One fraction "a/b" or decimal in (0, 1).</summary>
    /// <exception cref="ArgumentException">Unreadable, or outside (0, 1).</exception>
    public static double ParseOne(string text)
    {
        var numbers = text.Split('/').Select(p => TryNumber(p, out double v) ? v : double.NaN).ToArray();
        if (numbers.Length > 2 || numbers.Any(double.IsNaN))
            throw new ArgumentException($"budget '{text}' is not a fraction: write a kept share of N such as 1/9 or 0.25");
        double value = numbers.Length == 1 ? numbers[0] : numbers[0] / numbers[1];
        if (!(value > 0 && value < 1))
            throw new ArgumentException($"budget {text} is outside (0, 1): give the kept share of the visual tokens, e.g. 1/9 keeps 16 of 144");
        return value;
    }

    static bool TryNumber(string s, out double value) =>
        double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    /// <summary>K for <paramref name="fraction"/> of <paramref name="tokens"/>.</summary>
    public static int Keep(double fraction, int tokens) => TokenBudget.FromFraction(fraction, tokens);

    /// <summary>K_i for <paramref name="fraction"/> of each image's <paramref name="tokens"/> N_i, for images of different sizes
    /// (<see cref="TokenBudget.FromRate(double, int)"/>: round(fraction × N_i), ties away from zero, in 1..N_i).</summary>
    public static int[] KeepPerImage(double fraction, IReadOnlyList<int> tokens) => TokenBudget.FromRate(fraction, tokens);

    /// <summary>"88.9 %": the share of N a budget K drops.</summary>
    public static string PruningPercent(int keep, int tokens) =>
        (100.0 * (tokens - keep) / tokens).ToString("F1", CultureInfo.InvariantCulture) + " %";
}
