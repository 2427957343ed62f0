namespace DiffPrune.Eval.Calibration;

/// <summary>What a kept set holds, averaged over scenes (<see cref="PatchFacts"/>): the fraction of all facts, of the
/// objects seen and of the glyphs read.</summary>
/// <param name="Information">Mean over scenes of (objects seen + glyphs read) / (objects + glyphs).</param>
/// <param name="Objects">Mean fraction of objects with at least one kept patch.</param>
/// <param name="Glyphs">Mean fraction of glyph patches kept.</param>
public sealed record FactShare(double Information, double Objects, double Glyphs)
{
    /// <summary>The mean of per-scene (objects seen, glyphs read) over <paramref name="scenes"/>.</summary>
    public static FactShare Mean(IReadOnlyList<PatchFacts> scenes, IReadOnlyList<(double Objects, double Glyphs)> held) => new(
        scenes.Zip(held).Average(s => (s.Second.Objects + s.Second.Glyphs) / s.First.Facts),
        scenes.Zip(held).Average(s => s.Second.Objects / s.First.Objects),
        scenes.Zip(held).Average(s => s.First.Glyphs == 0 ? 1 : s.Second.Glyphs / s.First.Glyphs));
}
