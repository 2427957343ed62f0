namespace DiffPrune.Data.Scenes;

/// <summary>
/// Words, colours and dataset priors of the scene attributes, and the fixed world knowledge (warm colours, shapes
/// that roll) that <see cref="SceneSuite.Sqa"/> questions test and <see cref="SceneTextbook"/> states.
/// </summary>
public static class SceneAttributes
{
    /// <summary>Every colour, in enum order.</summary>
    public static IReadOnlyList<SceneColor> Colors { get; } = Enum.GetValues<SceneColor>();
    /// <summary>Every shape, in enum order.</summary>
    public static IReadOnlyList<SceneShape> Shapes { get; } = Enum.GetValues<SceneShape>();
    /// <summary>Every region, in reading order.</summary>
    public static IReadOnlyList<SceneRegion> Regions { get; } = Enum.GetValues<SceneRegion>();
    /// <summary>Both sizes.</summary>
    public static IReadOnlyList<ObjectSize> Sizes { get; } = Enum.GetValues<ObjectSize>();

    /// <summary>Number of (colour, shape) kinds: the length of <see cref="Scene.ObjectsPresent"/>.</summary>
    public static int KindCount => Colors.Count * Shapes.Count;

    static readonly string[] ColorWords = ["red", "orange", "yellow", "green", "cyan", "blue", "purple"];
    static readonly string[] ShapeWords = ["circle", "square", "triangle", "diamond", "cross", "ring"];
    static readonly string[] ShapePlurals = ["circles", "squares", "triangles", "diamonds", "crosses", "rings"];
    static readonly string[] RegionWords = ["top left", "top", "top right", "left", "center", "right", "bottom left", "bottom", "bottom right"];
    static readonly (byte R, byte G, byte B)[] ColorRgb =
        [(230, 25, 25), (255, 140, 0), (250, 220, 20), (30, 170, 40), (0, 210, 230), (30, 60, 235), (160, 40, 210)];

    // How often each colour / shape is drawn (a kind's prior is the product). Deliberately uneven so that POPE's
    // "popular" negatives (frequent kinds absent from the image) differ from its random ones.
    static readonly int[] ColorWeights = [6, 3, 4, 5, 2, 6, 3];
    static readonly int[] ShapeWeights = [6, 6, 4, 3, 2, 3];

    /// <summary>The word for a colour ("red").</summary>
    public static string Word(this SceneColor color) => ColorWords[(int)color];
    /// <summary>The word for a shape ("circle").</summary>
    public static string Word(this SceneShape shape) => ShapeWords[(int)shape];
    /// <summary>The plural of a shape ("crosses").</summary>
    public static string Plural(this SceneShape shape) => ShapePlurals[(int)shape];
    /// <summary>The word for a size ("small", "large").</summary>
    public static string Word(this ObjectSize size) => size == ObjectSize.Small ? "small" : "large";
    /// <summary>The phrase for a region ("top left", "center").</summary>
    public static string Word(this SceneRegion region) => RegionWords[(int)region];

    /// <summary>Region row, 0 (top) to 2 (bottom).</summary>
    public static int Row(this SceneRegion region) => (int)region / 3;
    /// <summary>Region column, 0 (left) to 2 (right).</summary>
    public static int Column(this SceneRegion region) => (int)region % 3;

    /// <summary>The colour's RGB value.</summary>
    public static (byte R, byte G, byte B) Rgb(this SceneColor color) => ColorRgb[(int)color];

    /// <summary>Digits are drawn black on light colours (orange, yellow, green, cyan) and white on the others.</summary>
    public static (byte R, byte G, byte B) GlyphRgb(this SceneColor color) =>
        color is SceneColor.Orange or SceneColor.Yellow or SceneColor.Green or SceneColor.Cyan ? ((byte)0, (byte)0, (byte)0) : ((byte)255, (byte)255, (byte)255);

    /// <summary>Relative frequency of a (colour, shape) kind in generated scenes (an integer weight).</summary>
    public static int Prior(SceneColor color, SceneShape shape) => ColorWeights[(int)color] * ShapeWeights[(int)shape];

    /// <summary>Index of a kind in <see cref="Scene.ObjectsPresent"/>: colour · shapes + shape.</summary>
    public static int KindIndex(SceneColor color, SceneShape shape) => (int)color * Shapes.Count + (int)shape;

    /// <summary>The kind at <paramref name="index"/> of <see cref="Scene.ObjectsPresent"/>.</summary>
    public static (SceneColor Color, SceneShape Shape) Kind(int index)
    {
        if ((uint)index >= (uint)KindCount) throw new ArgumentOutOfRangeException(nameof(index), $"kind index {index} is outside 0..{KindCount - 1}");
        return ((SceneColor)(index / Shapes.Count), (SceneShape)(index % Shapes.Count));
    }

    /// <summary>World knowledge: red, orange and yellow are warm; the other colours are cool.</summary>
    public static bool IsWarm(this SceneColor color) => color is SceneColor.Red or SceneColor.Orange or SceneColor.Yellow;
    /// <summary>World knowledge: circles and rings are round and can roll.</summary>
    public static bool CanRoll(this SceneShape shape) => shape is SceneShape.Circle or SceneShape.Ring;
    /// <summary>World knowledge: only a ring has a hole.</summary>
    public static bool HasHole(this SceneShape shape) => shape == SceneShape.Ring;
}
