namespace DiffPrune.Data.Scenes;

/// <summary>One object of a <see cref="Scene"/>.</summary>
/// <param name="Index">Position in <see cref="Scene.Objects"/> (reading order of regions); the value of its patches in <see cref="Scene.PatchObject"/>.</param>
/// <param name="Color">Fill colour.</param>
/// <param name="Shape">Shape.</param>
/// <param name="Size">Small (one patch) or large (two patches wide, centred on a patch).</param>
/// <param name="Region">The 3×3 region it lies in (no other object shares it).</param>
/// <param name="Box">Its pixel box (every pixel it paints lies inside).</param>
/// <param name="Digit">The digit drawn on it (0–9), or null.</param>
/// <param name="GlyphPatch">Index (row · grid + column) of the patch that holds its digit, or −1 without one.</param>
public sealed record SceneObject(int Index, SceneColor Color, SceneShape Shape, ObjectSize Size, SceneRegion Region, PixelBox Box, int? Digit, int GlyphPatch)
{
    /// <summary>"red circle": colour and shape, unique within a scene (no two objects share both).</summary>
    public string Name => $"{Color.Word()} {Shape.Word()}";

    /// <summary>Its index in <see cref="Scene.ObjectsPresent"/>.</summary>
    public int KindIndex => SceneAttributes.KindIndex(Color, Shape);
}
