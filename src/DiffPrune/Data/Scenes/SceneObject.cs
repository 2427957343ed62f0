namespace DiffPrune.Data.Scenes;

/// <summary>One object of a <see cref="Scene"/>.</summary>
/// <param name="Index">Position in <see cref="Scene.Objects"/> (reading order of regions); the value of its patches in <see cref="Scene.PatchObject"/>.</param>
/// <param name="Color">Fill colour.</param>
/// <param name="Shape">Shape.</param>
/// <param name="Size">Small (one patch) or large (two patches wide, centred on a patch).</param>
/// <param name="Region">The 3×3 region it lies in (no other object shares it).</param>
/// <param name="Box">Its pixel box (every pixel it paints lies inside; half a patch wider than the shape when a second glyph's plate sticks out).</param>
/// <param name="Digit">The label drawn on it, or null: a digit 0–9 (one glyph) or a number 10–99 (two glyphs, <see cref="SceneOptions.LabelGlyphs"/>).</param>
/// <param name="GlyphPatch">Index (row · C + column, <see cref="SceneOptions.PatchBox"/>) of the patch that holds its label's first glyph, or −1 without one.</param>
public sealed record SceneObject(int Index, SceneColor Color, SceneShape Shape, ObjectSize Size, SceneRegion Region, PixelBox Box, int? Digit, int GlyphPatch)
{
    /// <summary>"red circle": colour and shape, unique within a scene (no two objects share both).</summary>
    public string Name => $"{Color.Word()} {Shape.Word()}";

    /// <summary>The label as written and answered ("7", "37"), or "" without one.</summary>
    public string LabelText => Digit is int d ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : "";

    /// <summary>The patches that hold its label's glyphs, in reading order (one glyph per patch, side by side): empty,
    /// one patch for a digit, two for a number 10–99. Reading the label needs all of them.</summary>
    public IReadOnlyList<int> GlyphPatches => Digit switch
    {
        null => [],
        < 10 => [GlyphPatch],
        _ => [GlyphPatch, GlyphPatch + 1],
    };

    /// <summary>Its index in <see cref="Scene.ObjectsPresent"/>.</summary>
    public int KindIndex => SceneAttributes.KindIndex(Color, Shape);
}
