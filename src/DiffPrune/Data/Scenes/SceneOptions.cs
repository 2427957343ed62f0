namespace DiffPrune.Data.Scenes;

/// <summary>
/// How scenes are generated. Immutable; every default carries its reason. The image is split into a
/// <see cref="GridSize"/>×<see cref="GridSize"/> grid of patches (the ViT's tokens) and into 3×3 regions of
/// <see cref="PatchesPerRegion"/>² patches; each object lies inside one region and no two share a region.
/// </summary>
public sealed record SceneOptions
{
    /// <summary>Image side in pixels. 96 with 8 px patches gives N = 144 tokens, so the paper's budgets 192/128/64 of
    /// 576 become exactly 48/32/16 of 144.</summary>
    public int ImageSize { get; init; } = 96;

    /// <summary>Patch side in pixels (the ViT patch size). 8 is the smallest side a 5×7 digit fits in with a margin.</summary>
    public int PatchSize { get; init; } = 8;

    /// <summary>Fewest objects in a scene (≥ 1). Raise both bounds over training for a curriculum (e.g. 1–2 first).</summary>
    public int MinObjects { get; init; } = 1;

    /// <summary>Most objects in a scene (≤ 9, one per region). 5 leaves most patches background (redundant).</summary>
    public int MaxObjects { get; init; } = 5;

    /// <summary>Chance that an object is large. Below ½ so that most objects live in a single patch, which pruning must keep.</summary>
    public double LargeProbability { get; init; } = 0.4;

    /// <summary>Chance that a large object carries a digit (small objects never do: a glyph would hide their shape).</summary>
    public double DigitProbability { get; init; } = 0.7;

    /// <summary>When no object drew a digit, make one object large with a digit, so that every scene has text to read
    /// (TextVQA items for every scene).</summary>
    public bool EnsureDigit { get; init; } = true;

    /// <summary>Items per suite and scene (MME: pairs; POPE always asks one yes and one no per split). Two keeps every
    /// suite present in every batch without letting one scene dominate.</summary>
    public int QuestionsPerSuite { get; init; } = 2;

    /// <summary>Also emit each MMBench / MMBench-CN item with its options rotated three more times (MMBench's circular
    /// evaluation: a group counts only if all four rotations are right). Off by default: it quadruples those suites.</summary>
    public bool CircularMultipleChoice { get; init; }

    /// <summary>The configuration these options belong to (recorded in reports and model folders). Generation follows
    /// the knobs below, not this name.</summary>
    public SceneBenchConfiguration Configuration { get; init; } = SceneBenchConfiguration.Classic;

    /// <summary>Glyphs per label: 1 draws digits 0–9 in one patch; 2 draws numbers 10–99, one glyph per patch in two
    /// side-by-side patches, so reading a label needs both (information in few specific patches).</summary>
    public int LabelGlyphs { get; init; } = 1;

    /// <summary>Fewest clutter marks painted on the background (busy, achromatic, never named by any text).</summary>
    public int MinClutter { get; init; }

    /// <summary>Most clutter marks. 0 keeps the background plain (the classic scenes).</summary>
    public int MaxClutter { get; init; }

    /// <summary>How many label values exist: 10 with one glyph, 100 with two (the size of a digit classifier's output).</summary>
    public int LabelValues => LabelGlyphs == 1 ? 10 : 100;

    /// <summary>Patches per image side.</summary>
    public int GridSize => ImageSize / PatchSize;

    /// <summary>Visual tokens per image (N).</summary>
    public int PatchCount => GridSize * GridSize;

    /// <summary>Patches per region side.</summary>
    public int PatchesPerRegion => GridSize / 3;

    /// <summary>Pixels per region side.</summary>
    public int RegionSize => PatchesPerRegion * PatchSize;

    /// <summary>Fewest pixels of an object in a patch for the patch to be labelled with it (1/8 of the patch).</summary>
    public int MinPatchPixels => Math.Max(1, PatchSize * PatchSize / 8);

    /// <summary>The default: 96×96 px, 8 px patches, 12×12 = 144 tokens.</summary>
    public static SceneOptions Default { get; } = new();

    /// <summary>The cheaper geometry: 72×72 px, 8 px patches, 9×9 = 81 tokens (budgets 27/18/9), same object sizes.</summary>
    public static SceneOptions Grid81 { get; } = new() { ImageSize = 72 };

    /// <summary>
    /// The dense configuration: same geometry (96×96 px, 8 px patches, N = 144), but 6–9 objects (every region is
    /// still unique, so every region-addressed question stays well defined), mostly small (one specific patch each),
    /// labels of two glyphs across two patches, and 10–16 clutter marks that draw attention and feature diversity
    /// without carrying any answer.
    /// </summary>
    public static SceneOptions Dense { get; } = new()
    {
        Configuration = SceneBenchConfiguration.Dense,
        MinObjects = 6,
        MaxObjects = 9,
        LargeProbability = 0.35,
        DigitProbability = 0.8,
        LabelGlyphs = 2,
        MinClutter = 10,
        MaxClutter = 16,
    };

    /// <summary>The options of <paramref name="configuration"/> at <paramref name="tokens"/> visual tokens per image (144 or 81).</summary>
    /// <exception cref="ArgumentException">Any other token count.</exception>
    public static SceneOptions For(SceneBenchConfiguration configuration, int tokens)
    {
        var geometry = ForGrid(tokens);
        return configuration == SceneBenchConfiguration.Classic ? geometry : Dense with { ImageSize = geometry.ImageSize };
    }

    /// <summary>The geometry with <paramref name="tokens"/> visual tokens per image: 144 (<see cref="Default"/>) or 81 (<see cref="Grid81"/>).</summary>
    /// <exception cref="ArgumentException">Any other count.</exception>
    public static SceneOptions ForGrid(int tokens) => tokens switch
    {
        144 => Default,
        81 => Grid81,
        _ => throw new ArgumentException($"SceneBench grids have 144 or 81 visual tokens (got {tokens})"),
    };

    /// <summary>Checks the options and returns them.</summary>
    /// <exception cref="ArgumentException">Names the option at fault and why.</exception>
    public SceneOptions Validate()
    {
        if (PatchSize < 8 || PatchSize % 2 != 0)
            throw new ArgumentException($"SceneOptions.PatchSize = {PatchSize}: must be even and at least 8 (a 5x7 digit must fit in one patch, large objects are centred on a patch)");
        if (ImageSize < 1 || ImageSize % PatchSize != 0)
            throw new ArgumentException($"SceneOptions.ImageSize = {ImageSize} is not a positive multiple of PatchSize = {PatchSize}");
        if (GridSize % 3 != 0 || GridSize < 9)
            throw new ArgumentException($"SceneOptions: a grid of {GridSize}x{GridSize} patches cannot be split into 3x3 regions of at least 3x3 patches (ImageSize / PatchSize must be a multiple of 3, at least 9)");
        if (MinObjects < 1 || MaxObjects > 9 || MinObjects > MaxObjects)
            throw new ArgumentException($"SceneOptions.MinObjects = {MinObjects}, MaxObjects = {MaxObjects}: need 1 <= MinObjects <= MaxObjects <= 9 (one object per region)");
        if (!(LargeProbability >= 0 && LargeProbability <= 1))
            throw new ArgumentException($"SceneOptions.LargeProbability = {LargeProbability} is not in [0, 1]");
        if (!(DigitProbability >= 0 && DigitProbability <= 1))
            throw new ArgumentException($"SceneOptions.DigitProbability = {DigitProbability} is not in [0, 1]");
        if (LabelGlyphs is < 1 or > 2)
            throw new ArgumentException($"SceneOptions.LabelGlyphs = {LabelGlyphs} is not 1 or 2");
        if (MinClutter < 0 || MinClutter > MaxClutter || MaxClutter > 64)
            throw new ArgumentException($"SceneOptions.MinClutter = {MinClutter}, MaxClutter = {MaxClutter}: need 0 <= MinClutter <= MaxClutter <= 64");
        if (QuestionsPerSuite < 1 || QuestionsPerSuite > 8)
            throw new ArgumentException($"SceneOptions.QuestionsPerSuite = {QuestionsPerSuite} is not in 1..8");
        return this;
    }
}
