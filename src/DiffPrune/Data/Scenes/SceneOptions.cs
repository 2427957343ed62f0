namespace DiffPrune.Data.Scenes;

/// <summary>
/// How scenes are generated. Immutable; every default carries its reason. The image (<see cref="ImageWidth"/> ×
/// <see cref="ImageHeight"/> px) is split into a <see cref="GridRows"/> × <see cref="GridColumns"/> grid of patches (the
/// ViT's tokens, row-major) and into 3×3 regions of <see cref="PatchesPerRegionX"/> × <see cref="PatchesPerRegionY"/>
/// patches; each object lies inside one region and no two share a region.
/// <para>Geometry for other model shapes (<see cref="SceneResolution"/>): every side is a multiple of 3 ·
/// <see cref="PatchSize"/> (3 regions of whole patches) and at least 9 patches (a large object is centred on a patch that
/// is not on its region's border). A Qwen2.5-VL-style model with 2×2 patch merging reads these scenes with a 4 px patch,
/// so that one merged token covers one 8 px scene patch (a glyph, a small object) as a LLaVA-1.5-style token does; every
/// side being a multiple of 24 px is then a multiple of merge · patch = 8 px, so the merged grid is exactly the scene's
/// patch grid. (An 8 px patch with merging would need sides in multiples of 48 px and give 16 px tokens that split
/// glyphs and objects across tokens.) A LLaVA-NeXT-style AnyRes model with 96 px tiles cuts a 192 px scene on patch
/// boundaries (96 = 12 patches), so every glyph lies in one patch of one tile.</para>
/// </summary>
public sealed record SceneOptions
{
    readonly int? _imageWidth, _imageHeight;

    /// <summary>Image side in pixels of square scenes, and the default of <see cref="ImageWidth"/> and <see cref="ImageHeight"/>.
    /// 96 with 8 px patches gives N = 144 tokens, so the paper's budgets 192/128/64 of 576 become exactly 48/32/16 of 144.
    /// With <see cref="VariableSides"/> it is the reference area clutter counts are given for.</summary>
    public int ImageSize { get; init; } = 96;

    /// <summary>Image width in pixels (default <see cref="ImageSize"/>): a multiple of 3 · <see cref="PatchSize"/>, at least 9 patches.</summary>
    public int ImageWidth { get => _imageWidth ?? ImageSize; init => _imageWidth = value; }

    /// <summary>Image height in pixels (default <see cref="ImageSize"/>): a multiple of 3 · <see cref="PatchSize"/>, at least 9 patches.</summary>
    public int ImageHeight { get => _imageHeight ?? ImageSize; init => _imageHeight = value; }

    /// <summary>When set, each scene draws its own width and its own height (independently, uniformly) from these sides,
    /// from a random stream of its seed, so a split is the same everywhere; <see cref="ForScene"/> gives a scene's own
    /// options. Null (default): every scene is <see cref="ImageWidth"/> × <see cref="ImageHeight"/>.</summary>
    public IReadOnlyList<int>? VariableSides { get; init; }

    /// <summary>The geometry these options belong to (recorded in reports, as <see cref="Configuration"/> is). Generation
    /// follows the sizes above, not this name.</summary>
    public SceneResolution Resolution { get; init; } = SceneResolution.Standard;

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

    /// <summary>Patch columns C (patches per row).</summary>
    public int GridColumns => ImageWidth / PatchSize;

    /// <summary>Patch rows R.</summary>
    public int GridRows => ImageHeight / PatchSize;

    /// <summary>Whether the scenes are square (<see cref="ImageWidth"/> = <see cref="ImageHeight"/>).</summary>
    public bool IsSquare => ImageWidth == ImageHeight;

    /// <summary>Patches per side of a square scene.</summary>
    /// <exception cref="InvalidOperationException">A non-square scene: use <see cref="GridColumns"/> and <see cref="GridRows"/>.</exception>
    public int GridSize => IsSquare ? GridColumns : throw NotSquare(nameof(GridSize), "GridColumns and GridRows");

    /// <summary>Visual tokens per image (N = R · C).</summary>
    public int PatchCount => GridRows * GridColumns;

    /// <summary>Patch columns per region.</summary>
    public int PatchesPerRegionX => GridColumns / 3;

    /// <summary>Patch rows per region.</summary>
    public int PatchesPerRegionY => GridRows / 3;

    /// <summary>Patches per region side of a square scene.</summary>
    /// <exception cref="InvalidOperationException">A non-square scene: use <see cref="PatchesPerRegionX"/> and <see cref="PatchesPerRegionY"/>.</exception>
    public int PatchesPerRegion => IsSquare ? PatchesPerRegionX : throw NotSquare(nameof(PatchesPerRegion), "PatchesPerRegionX and PatchesPerRegionY");

    /// <summary>Region width in pixels.</summary>
    public int RegionWidth => PatchesPerRegionX * PatchSize;

    /// <summary>Region height in pixels.</summary>
    public int RegionHeight => PatchesPerRegionY * PatchSize;

    /// <summary>Pixels per region side of a square scene.</summary>
    /// <exception cref="InvalidOperationException">A non-square scene: use <see cref="RegionWidth"/> and <see cref="RegionHeight"/>.</exception>
    public int RegionSize => IsSquare ? RegionWidth : throw NotSquare(nameof(RegionSize), "RegionWidth and RegionHeight");

    /// <summary>The pixels of patch <paramref name="patch"/> (row-major: row <c>patch / C</c>, column <c>patch mod C</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not in 0..N−1.</exception>
    public PixelBox PatchBox(int patch)
    {
        if (patch < 0 || patch >= PatchCount)
            throw new ArgumentOutOfRangeException(nameof(patch), $"patch {patch} is outside the {GridRows}x{GridColumns} grid (0..{PatchCount - 1})");
        return new PixelBox(patch % GridColumns * PatchSize, patch / GridColumns * PatchSize, PatchSize, PatchSize);
    }

    /// <summary>The pixels of <paramref name="region"/>.</summary>
    public PixelBox RegionBox(SceneRegion region) =>
        new(region.Column() * RegionWidth, region.Row() * RegionHeight, RegionWidth, RegionHeight);

    InvalidOperationException NotSquare(string property, string instead) =>
        new($"SceneOptions.{property} is defined for square scenes only; these are {ImageWidth}x{ImageHeight} px: use {instead}");

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

    /// <summary>The sides a <see cref="SceneResolution.Variable"/> scene draws its width and height from: 72, 96, 120 and 144 px
    /// (9–18 patches of 8 px, N = 81–324, mean 182), the smallest and largest multiples of 24 px that keep 3×3 regions of
    /// at least 3 patches within twice the default side, so aspect ratios run from 1:2 to 2:1 and N varies fourfold, as
    /// Qwen2.5-VL's token counts do across real photos.</summary>
    public static IReadOnlyList<int> VariableSideChoices { get; } = [72, 96, 120, 144];

    /// <summary>The side of <see cref="SceneResolution.High"/> scenes: 192 px, twice the default, so a LLaVA-NeXT-style
    /// model sees 2×2 tiles of 96 px plus the whole scene downscaled to 96 px (5 × 144 tokens).</summary>
    public const int HighSide = 192;

    /// <summary>
    /// The options of <paramref name="configuration"/> at <paramref name="resolution"/>. Standard: as
    /// <see cref="For(SceneBenchConfiguration, int)"/>. Variable: sides drawn from <see cref="VariableSideChoices"/>.
    /// High: <see cref="HighSide"/>² px. Objects, glyphs and clutter marks keep their pixel sizes (a small object one
    /// 8 px patch, a large one two, a glyph 5×7 px), so in a larger scene details are finer relative to the image: on the
    /// AnyRes model only the full-resolution tiles resolve glyphs, the downscaled base view does not, as with small print
    /// in a real photo. The number of objects (one per region) stays the configuration's, so larger scenes hold more
    /// redundant background; the number of clutter marks scales with the area, so the clutter's density is the same.
    /// </summary>
    /// <exception cref="ArgumentException">A token count other than 144 or 81, or 81 with a non-standard resolution
    /// (which sets its own sizes).</exception>
    public static SceneOptions For(SceneBenchConfiguration configuration, int tokens, SceneResolution resolution)
    {
        var standard = For(configuration, tokens);
        if (resolution != SceneResolution.Standard && tokens != Default.PatchCount)
            throw new ArgumentException($"SceneBench {resolution.Name()} scenes set their own size: a grid of {tokens} visual tokens applies to standard scenes only (use {Default.PatchCount})");
        return resolution switch
        {
            SceneResolution.Standard => standard,
            SceneResolution.Variable => standard with { Resolution = resolution, VariableSides = VariableSideChoices },
            SceneResolution.High => standard with
            {
                Resolution = resolution,
                ImageSize = HighSide,
                MinClutter = ClutterForArea(standard.MinClutter, HighSide, HighSide, standard.ImageSize),
                MaxClutter = ClutterForArea(standard.MaxClutter, HighSide, HighSide, standard.ImageSize),
            },
            _ => throw new ArgumentOutOfRangeException(nameof(resolution), $"unknown SceneBench resolution {resolution}"),
        };
    }

    /// <summary>
    /// The options scene <paramref name="seed"/> is drawn with: these, or with <see cref="VariableSides"/> its own width
    /// and height (drawn from the seed's size stream, independent of every other draw) and clutter counts scaled from
    /// <see cref="ImageSize"/>² to its area (rounded), so that the density of clutter is the same at every size.
    /// </summary>
    public SceneOptions ForScene(long seed)
    {
        if (VariableSides is not { } sides) return this;
        var rng = SceneSeeds.For(seed, SceneSeeds.SizeStream);
        int width = sides[rng.NextInt(sides.Count)], height = sides[rng.NextInt(sides.Count)];
        return this with
        {
            VariableSides = null,
            ImageWidth = width,
            ImageHeight = height,
            MinClutter = ClutterForArea(MinClutter, width, height, ImageSize),
            MaxClutter = ClutterForArea(MaxClutter, width, height, ImageSize),
        };
    }

    // marks for a width × height image at the density of `marks` on a reference² one, rounded half up
    static int ClutterForArea(int marks, int width, int height, int reference) =>
        (int)(((long)marks * width * height + reference * reference / 2) / ((long)reference * reference));

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
        CheckSide(_imageWidth is null ? nameof(ImageSize) : nameof(ImageWidth), ImageWidth);
        CheckSide(_imageHeight is null ? nameof(ImageSize) : nameof(ImageHeight), ImageHeight);
        if (VariableSides is { } sides)
        {
            if (sides.Count == 0)
                throw new ArgumentException("SceneOptions.VariableSides is empty: give at least one side, or null for fixed-size scenes");
            if (_imageWidth is not null || _imageHeight is not null)
                throw new ArgumentException("SceneOptions.VariableSides is set together with ImageWidth/ImageHeight: a variable-size bench draws each scene's sides; set one or the other");
            foreach (int side in sides) CheckSide(nameof(VariableSides), side);
        }
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

    // A side must split into 3 regions of whole patches, each at least 3 patches (a large object's centre patch is
    // never on its region's border), and stay small enough to index pixels in an int.
    void CheckSide(string option, int side)
    {
        if (side < 1 || side % PatchSize != 0)
            throw new ArgumentException($"SceneOptions.{option} = {side} is not a positive multiple of PatchSize = {PatchSize}");
        int patches = side / PatchSize;
        if (patches % 3 != 0 || patches < 9)
            throw new ArgumentException($"SceneOptions.{option} = {side}: {patches} patches per side cannot be split into 3x3 regions of at least 3 whole patches (need a multiple of 3 * PatchSize = {3 * PatchSize} px, at least {9 * PatchSize})");
        if (side > 4096)
            throw new ArgumentException($"SceneOptions.{option} = {side} is above 4096 px");
    }
}
