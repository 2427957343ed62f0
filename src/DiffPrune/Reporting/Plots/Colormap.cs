namespace DiffPrune.Reporting.Plots;

/// <summary>Perceptually uniform colour scales for heat maps.</summary>
public static class Colormap
{
    // matplotlib's viridis sampled at 0, 1/8, ..., 1
    static readonly PlotColor[] ViridisStops =
        new[] { "#440154", "#46327e", "#365c8d", "#277f8e", "#1fa187", "#4ac16d", "#a0da39", "#fde725", "#fde725" }.Select(PlotColor.Parse).ToArray();

    /// <summary>Viridis at <paramref name="t"/> in [0, 1] (clamped; NaN is drawn mid-gray): dark purple (low) to yellow (high).</summary>
    public static PlotColor Viridis(double t)
    {
        if (double.IsNaN(t)) return PlotColor.Gray(128);
        double x = Math.Clamp(t, 0, 1) * (ViridisStops.Length - 2);
        int i = Math.Min((int)x, ViridisStops.Length - 3);
        return PlotColor.Lerp(ViridisStops[i], ViridisStops[i + 1], x - i);
    }
}
