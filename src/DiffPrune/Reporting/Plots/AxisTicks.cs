using System.Globalization;

namespace DiffPrune.Reporting.Plots;

/// <summary>Round tick values and their labels, shared by the SVG and raster charts.</summary>
public static class AxisTicks
{
    /// <summary>About five round tick values (1, 2 or 5 × 10^e apart) inside [lo, hi].</summary>
    public static IEnumerable<double> Linear(double lo, double hi)
    {
        double raw = (hi - lo) / 5, mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1, 2, 5, 10 }.Select(m => m * mag).First(s => s >= raw);
        for (double t = Math.Ceiling(lo / step) * step; t <= hi + step * 1e-9; t += step) yield return Math.Abs(t) < step * 1e-9 ? 0 : t;
    }

    /// <summary>Ticks at 1, 2 and 5 × 10^e inside [lo, hi] (both log10 exponents), or at powers of ten when that gives too many.</summary>
    public static IEnumerable<double> Log(double lo, double hi)
    {
        var all = new List<double>();
        for (int e = (int)Math.Floor(lo); e <= (int)Math.Ceiling(hi); e++)
            foreach (double m in new[] { 1.0, 2.0, 5.0 })
            {
                double t = e + Math.Log10(m);
                if (t >= lo - 1e-9 && t <= hi + 1e-9) all.Add(t);
            }
        if (all.Count == 0) return [lo, hi];   // a range inside one 1-2-5 step (e.g. losses 0.055–0.09): label its ends
        return all.Count > 8 ? all.Where(t => Math.Abs(t - Math.Round(t)) < 1e-9) : all;
    }

    /// <summary>A short label: up to three decimals, or scientific notation for very large or small values.</summary>
    public static string Format(double v) => Math.Abs(v) >= 1e4 || (Math.Abs(v) < 1e-2 && v != 0)
        ? v.ToString("0.#E0", CultureInfo.InvariantCulture)
        : v.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>[lo, hi] of <paramref name="values"/>, widened by ±0.5 when they are (nearly) all equal.</summary>
    public static (double Lo, double Hi) Range(IEnumerable<double> values)
    {
        double lo = values.Min(), hi = values.Max();
        if (hi - lo < 1e-12) { lo -= 0.5; hi += 0.5; }
        return (lo, hi);
    }
}
