using System.Globalization;
using DiffPrune.Eval.Statistics;

namespace DiffPrune.Eval.Reports;

/// <summary>Intervals and paired differences as the reports print them: retention in %, differences in points, one decimal.</summary>
public static class IntervalText
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>"[92.1, 96.3]" (percent of retention), or "–" when undefined.</summary>
    public static string Retention(ConfidenceInterval? interval) =>
        interval is { } i ? $"[{(100 * i.Lo).ToString("F1", Inv)}, {(100 * i.Hi).ToString("F1", Inv)}]" : "–";

    /// <summary>"+1.2": a difference of retention in points, always signed.</summary>
    public static string Points(double difference) => (100 * difference).ToString("+0.0;-0.0;0.0", Inv);

    /// <summary>"+1.2" like <see cref="Points"/>, but "-0.04" rather than "0.0" for a bound that one decimal would round to
    /// zero, so that an interval reported as excluding 0 never reads as touching it.</summary>
    public static string Bound(double bound)
    {
        string text = Points(bound);
        return text is "0.0" or "+0.0" or "-0.0" && bound != 0 ? (100 * bound).ToString("+0.00;-0.00", Inv) : text;
    }

    /// <summary>"tie", "higher" or "lower".</summary>
    public static string Verdict(ComparisonVerdict verdict) => verdict.ToString().ToLowerInvariant();

    /// <summary>"-1.2 [-2.5, +0.3] tie", or "–" when undefined.</summary>
    public static string Difference(PairedDifference? difference) => difference is { } d
        ? $"{Points(d.Value)} [{Bound(d.Interval.Lo)}, {Bound(d.Interval.Hi)}] {Verdict(d.Verdict)}"
        : "–";

    /// <summary>"DivPrune +1.2 [-0.3, +2.7]": a method and its difference, for running text.</summary>
    public static string Named(string method, PairedDifference d) =>
        $"{method} {Points(d.Value)} [{Bound(d.Interval.Lo)}, {Bound(d.Interval.Hi)}]";
}
