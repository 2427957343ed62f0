using DiffPrune.Data.Images;

namespace DiffPrune.Data.Scenes;

/// <summary>
/// One generated scene: the image, its objects, dense per-patch labels for supervising a vision encoder, the set of
/// kinds present (a CLS target) and the caption. Identical, pixel for pixel, for the same (seed, options) on any
/// machine. Patches are indexed row-major: patch p covers columns (p mod C)·P.. and rows (p div C)·P.. with
/// C = <see cref="SceneOptions.GridColumns"/> of <see cref="Options"/>, P = <see cref="SceneOptions.PatchSize"/>
/// (<see cref="SceneOptions.PatchBox"/>). The lists are views of the scene's own arrays.
/// </summary>
public sealed class Scene
{
    internal Scene(long seed, SceneOptions options, RgbImage image, RgbImage background, BackgroundKind backgroundKind,
        SceneObject[] objects, int[] patchObject, int[] patchPixels, int[] patchDigit, bool[] patchClutter, string caption)
    {
        Seed = seed;
        Options = options;
        Image = image;
        Background = background;
        BackgroundKind = backgroundKind;
        Objects = objects;
        PatchObject = patchObject;
        PatchPixels = patchPixels;
        PatchDigit = patchDigit;
        PatchClutter = patchClutter;
        PatchShape = Attribute(objects, patchObject, o => (int)o.Shape);
        PatchColor = Attribute(objects, patchObject, o => (int)o.Color);
        PatchSize = Attribute(objects, patchObject, o => (int)o.Size);
        PatchObjectDigit = Attribute(objects, patchObject, o => o.Digit ?? -1);
        PatchRegion = Attribute(objects, patchObject, o => (int)o.Region);
        PatchAnchor = Anchors(objects.Length, patchObject, patchPixels);
        var present = new bool[SceneAttributes.KindCount];
        foreach (var o in objects) present[o.KindIndex] = true;
        ObjectsPresent = present;
        Caption = caption;
    }

    static bool[] Anchors(int objects, int[] patchObject, int[] patchPixels)
    {
        var best = Enumerable.Repeat(-1, objects).ToArray();
        for (int p = 0; p < patchObject.Length; p++)
        {
            int o = patchObject[p];
            if (o >= 0 && (best[o] < 0 || patchPixels[p] > patchPixels[best[o]])) best[o] = p;
        }
        var anchor = new bool[patchObject.Length];
        foreach (int p in best) if (p >= 0) anchor[p] = true;
        return anchor;
    }

    /// <summary>Generates the scene of <paramref name="seed"/> (≥ 0) under <paramref name="options"/> (default: <see cref="SceneOptions.Default"/>).</summary>
    /// <exception cref="ArgumentException">Invalid options or a negative seed.</exception>
    public static Scene Generate(long seed, SceneOptions? options = null) => SceneGenerator.Generate(seed, options ?? SceneOptions.Default);

    /// <summary>The seed it was generated from.</summary>
    public long Seed { get; }
    /// <summary>The options it was generated with: its own (<see cref="SceneOptions.ForScene"/>), so with a variable-size
    /// bench they hold this scene's width and height (<see cref="SceneOptions.VariableSides"/> null).</summary>
    public SceneOptions Options { get; }
    /// <summary>The image (<see cref="SceneOptions.ImageWidth"/> × <see cref="SceneOptions.ImageHeight"/> px).</summary>
    public RgbImage Image { get; }
    /// <summary>The background alone, before any object was drawn (what occlusion restores).</summary>
    public RgbImage Background { get; }
    /// <summary>How the background was painted.</summary>
    public BackgroundKind BackgroundKind { get; }
    /// <summary>Objects in reading order of their regions (top left first).</summary>
    public IReadOnlyList<SceneObject> Objects { get; }

    /// <summary>Per patch: index of the object with the most pixels in it when it has at least
    /// <see cref="SceneOptions.MinPatchPixels"/> of them (or holds its digit), else −1 (background).</summary>
    public IReadOnlyList<int> PatchObject { get; }
    /// <summary>Per patch: pixels of <see cref="PatchObject"/>'s object in it (0 for background), for soft or weighted labels.</summary>
    public IReadOnlyList<int> PatchPixels { get; }
    /// <summary>Per patch: <see cref="SceneShape"/> id of the labelled object, −1 for background.</summary>
    public IReadOnlyList<int> PatchShape { get; }
    /// <summary>Per patch: <see cref="SceneColor"/> id of the labelled object, −1 for background.</summary>
    public IReadOnlyList<int> PatchColor { get; }
    /// <summary>Per patch: <see cref="ObjectSize"/> id of the labelled object, −1 for background.</summary>
    public IReadOnlyList<int> PatchSize { get; }
    /// <summary>Per patch: the digit whose glyph lies in it, −1 elsewhere (each glyph lies wholly inside one patch; a
    /// two-glyph label spans two patches).</summary>
    public IReadOnlyList<int> PatchDigit { get; }
    /// <summary>Per patch: true where the background's clutter marks cover at least <see cref="SceneOptions.MinPatchPixels"/>
    /// of the visible pixels and no object labels the patch. Clutter is never named by the caption or any question; all
    /// false without clutter (<see cref="SceneOptions.MaxClutter"/> = 0).</summary>
    public IReadOnlyList<bool> PatchClutter { get; }
    /// <summary>Per patch: the label on the labelled object (on every one of its patches, not only the glyphs'), −1 for
    /// background and objects without one; 0..<see cref="SceneOptions.LabelValues"/> − 1. An object-level label, as the colour, shape and size are.</summary>
    public IReadOnlyList<int> PatchObjectDigit { get; }
    /// <summary>Per patch: <see cref="SceneRegion"/> id of the labelled object, −1 for background.</summary>
    public IReadOnlyList<int> PatchRegion { get; }
    /// <summary>Per patch: true on one patch of each object, the one holding most of its pixels (the lowest index on a
    /// tie), so that counting anchors counts objects.</summary>
    public IReadOnlyList<bool> PatchAnchor { get; }

    /// <summary>Multi-hot over the <see cref="SceneAttributes.KindCount"/> (colour, shape) kinds: which are in the
    /// image (index <see cref="SceneAttributes.KindIndex"/>). A target for a CLS objective.</summary>
    public IReadOnlyList<bool> ObjectsPresent { get; }

    /// <summary>The caption: every object's size, colour, shape, digit and region, in reading order
    /// ("a large red circle with a 7 at the top left. a small blue square at the center.").</summary>
    public string Caption { get; }

    /// <summary>The object in <paramref name="region"/>, or null.</summary>
    public SceneObject? ObjectAt(SceneRegion region)
    {
        foreach (var o in Objects) if (o.Region == region) return o;
        return null;
    }

    /// <summary>The object of that colour and shape (at most one exists), or null.</summary>
    public SceneObject? Find(SceneColor color, SceneShape shape)
    {
        foreach (var o in Objects) if (o.Color == color && o.Shape == shape) return o;
        return null;
    }

    /// <inheritdoc/>
    public override string ToString() => $"Scene {Seed}: {Caption}";

    static int[] Attribute(SceneObject[] objects, int[] patchObject, Func<SceneObject, int> value)
    {
        var labels = new int[patchObject.Length];
        for (int p = 0; p < labels.Length; p++) labels[p] = patchObject[p] < 0 ? -1 : value(objects[patchObject[p]]);
        return labels;
    }
}
