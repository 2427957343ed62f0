using System.Globalization;
using System.Text;
using System.Text.Json;
using DiffPrune.Reporting;
using DiffPrune.Tensors.IO;

namespace DiffPrune.Eval.Calibration;

/// <summary>
/// Writes the calibration of SceneBench configurations (the oracle analysis and the baselines' selections) as
/// calibration.md and calibration.json: what a budget can hold on each configuration, before any model is trained on it.
/// </summary>
public static class CalibrationReport
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Writes both files into <paramref name="dir"/> (created if needed); returns their paths.</summary>
    public static IReadOnlyList<string> Write(string dir, string model, IReadOnlyList<OracleSummary> oracle, IReadOnlyList<SelectionShare> selections)
    {
        Directory.CreateDirectory(dir);
        var md = Path.Combine(dir, "calibration.md");
        var json = Path.Combine(dir, "calibration.json");
        AtomicFile.WriteAllText(md, Markdown(model, oracle, selections));
        AtomicFile.WriteAllText(json, JsonSerializer.Serialize(new { model, oracle, selections }, new JsonSerializerOptions(JsonLines.Options) { WriteIndented = true }));
        return [md, json];
    }

    static string Pct(double v) => (100 * v).ToString("F1", Inv);

    /// <summary>The report as Markdown.</summary>
    public static string Markdown(string model, IReadOnlyList<OracleSummary> oracle, IReadOnlyList<SelectionShare> selections)
    {
        var md = new StringBuilder("# SceneBench calibration\n\n");
        md.AppendLine("Information, as a perfect reader of the kept patches gets it: each scene's facts are one per object (seen when any " +
            "of its patches is kept) and one per glyph of its labels (read when the glyph's patch is kept); a kept set holds the fraction " +
            "of the facts it shows, averaged over scenes. Plain background and clutter hold none. Random: K of all N patches; " +
            "object-random: K of the object patches; oracle: the best K patches (exact expectations for the random draws).").AppendLine();
        md.AppendLine("| configuration | scenes | objects | object patches | glyph patches | clutter patches | plain patches | patches for all facts |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var o in oracle)
            md.AppendLine(Inv, $"| {o.Configuration} | {o.Scenes} | {o.ObjectsPerScene:F2} | {o.ObjectPatches:F1} | {o.GlyphPatches:F2} | {o.ClutterPatches:F1} | {o.PlainPatches:F1} | {o.PatchesForAllFacts:F1} |");
        md.AppendLine().AppendLine("Information held (%; objects seen / glyphs read in brackets) and the share of scenes whose facts all fit in K patches:").AppendLine();
        md.AppendLine("| configuration | K of N | random | object-random | oracle | scenes that fit |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var o in oracle)
            foreach (var b in o.Budgets)
                md.AppendLine(Inv, $"| {o.Configuration} | {b.Keep} of {o.Patches} | {Cell(b.Random)} | {Cell(b.ObjectRandom)} | {Cell(b.Oracle)} | {Pct(b.ScenesHoldable)} |");
        if (selections.Count > 0)
        {
            md.AppendLine().AppendLine(Inv, $"Baselines' selections with {model} (shares of the kept tokens, %; information held by a perfect reader of them as above):").AppendLine();
            md.AppendLine("| configuration | method | K | object | clutter | plain | information held |");
            md.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
            foreach (var s in selections)
                md.AppendLine(Inv, $"| {s.Configuration} | {s.Method} | {s.Keep} | {Pct(s.Object)} | {Pct(s.Clutter)} | {Pct(s.Plain)} | {Cell(s.Held)} |");
        }
        return md.ToString();
    }

    static string Cell(FactShare f) => $"{Pct(f.Information)} ({Pct(f.Objects)} / {Pct(f.Glyphs)})";
}
