using DiffPrune.Data.Scenes;

namespace DiffPrune.Tests.Data.Scenes;

/// <summary>Variable-size and high-resolution scenes: determinism, geometry, labels that agree with pixels, captions that
/// name every object and questions that stay answerable.</summary>
public class SceneResolutionTests
{
    static SceneExample[] Examples(SceneOptions options, int count) => new SceneBench(options).Split(SceneSplit.Test, count).ToArray();

    [Fact]
    public void VariableSizesAreDrawnFromTheSeedAndCoverEveryPair()
    {
        var options = SceneOptions.For(SceneBenchConfiguration.Classic, 144, SceneResolution.Variable);
        var pairs = new Dictionary<(int, int), int>();
        foreach (long seed in Enumerable.Range(0, 640))
        {
            var own = options.ForScene(seed);
            Assert.Equal(own, options.ForScene(seed));
            Assert.Null(own.VariableSides);
            Assert.Equal(SceneResolution.Variable, own.Resolution);
            Assert.Contains(own.ImageWidth, SceneOptions.VariableSideChoices);
            Assert.Contains(own.ImageHeight, SceneOptions.VariableSideChoices);
            pairs[(own.ImageWidth, own.ImageHeight)] = pairs.GetValueOrDefault((own.ImageWidth, own.ImageHeight)) + 1;
        }
        Assert.Equal(16, pairs.Count);
        Assert.All(pairs.Values, n => Assert.InRange(n, 20, 60));                 // 40 expected per pair
        // the size does not depend on the configuration: a seed has one shape in classic and dense benches
        var dense = SceneOptions.For(SceneBenchConfiguration.Dense, 144, SceneResolution.Variable);
        Assert.All(Enumerable.Range(0, 50), s => Assert.Equal(
            (options.ForScene(s).ImageWidth, options.ForScene(s).ImageHeight), (dense.ForScene(s).ImageWidth, dense.ForScene(s).ImageHeight)));
    }

    [Fact]
    public void AVariableSplitIsReproducibleAndNVariesPerImage()
    {
        var options = SceneOptions.For(SceneBenchConfiguration.Dense, 144, SceneResolution.Variable);
        var a = Examples(options, 40);
        Assert.Equal(StandardScenesPinTests.Hash(a), StandardScenesPinTests.Hash(Examples(options, 40)));
        foreach (var e in a)
        {
            var o = e.Scene.Options;
            Assert.Equal((o.ImageWidth, o.ImageHeight), (e.Scene.Image.Width, e.Scene.Image.Height));
            Assert.Equal(o.ImageWidth * o.ImageHeight / 64, e.Scene.PatchObject.Count);
            Assert.Equal(o.PatchCount, new DiffPrune.Eval.Calibration.PatchFacts(e.Scene).Patches);
        }
        Assert.True(a.Select(e => e.Scene.PatchObject.Count).Distinct().Count() >= 6, "N should vary from scene to scene");
        Assert.Contains(a, e => !e.Scene.Options.IsSquare);
    }

    [Fact]
    public void ClutterKeepsItsDensityAtEverySize()
    {
        var dense = SceneOptions.For(SceneBenchConfiguration.Dense, 144, SceneResolution.Variable);
        var big = dense.ForScene(Enumerable.Range(0, 100).First(s => dense.ForScene(s) is { ImageWidth: 144, ImageHeight: 144 }));
        Assert.Equal((23, 36), (big.MinClutter, big.MaxClutter));                  // 10–16 marks per 96² px, × 2.25
        var small = dense.ForScene(Enumerable.Range(0, 100).First(s => dense.ForScene(s) is { ImageWidth: 72, ImageHeight: 72 }));
        Assert.Equal((6, 9), (small.MinClutter, small.MaxClutter));                 // × 0.5625, rounded
        var high = SceneOptions.For(SceneBenchConfiguration.Dense, 144, SceneResolution.High);
        Assert.Equal((192, 192, 40, 64), (high.ImageWidth, high.ImageHeight, high.MinClutter, high.MaxClutter));
        Assert.Equal((0, 0), (SceneOptions.For(SceneBenchConfiguration.Classic, 144, SceneResolution.High).MinClutter,
            SceneOptions.For(SceneBenchConfiguration.Classic, 144, SceneResolution.High).MaxClutter));
    }

    [Fact]
    public void HighScenesAre192PixelsWithObjectsAndGlyphsAtTheirUsualPixelSizes()
    {
        var options = SceneOptions.For(SceneBenchConfiguration.Dense, 144, SceneResolution.High);
        Assert.Equal((24, 24, 576, 8), (options.GridColumns, options.GridRows, options.PatchCount, options.PatchesPerRegion));
        foreach (var e in Examples(options, 40))
        {
            Assert.Equal((192, 192), (e.Scene.Image.Width, e.Scene.Image.Height));
            Assert.InRange(e.Scene.Objects.Count, 6, 9);
            foreach (var o in e.Scene.Objects)
            {
                Assert.Equal(o.Size == ObjectSize.Small ? 8 : 16, o.Box.Height);
                foreach (int g in o.GlyphPatches)
                {
                    var box = options.PatchBox(g);
                    Assert.Equal(box.X / 96, (box.X + box.Width - 1) / 96);               // never cut by a 96 px AnyRes tile
                    Assert.Equal(box.Y / 96, (box.Y + box.Height - 1) / 96);
                }
            }
        }
        Assert.Throws<ArgumentException>(() => SceneOptions.For(SceneBenchConfiguration.Classic, 81, SceneResolution.High));
        Assert.Throws<ArgumentException>(() => SceneOptions.For(SceneBenchConfiguration.Classic, 81, SceneResolution.Variable));
    }

    public static TheoryData<string, int, int, int> Geometries => new()
    {
        { "classic", 120, 72, 120 },
        { "dense", 72, 144, 120 },
        { "dense", 144, 96, 120 },
        { "classic", 192, 192, 60 },
        { "dense", 192, 192, 60 },
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void ObjectsStayInTheirRegionsAndLabelsAgreeWithPixels(string configuration, int width, int height, int count)
    {
        var options = SceneOptions.For(SceneBenchConfigurations.Parse(configuration), 144) with { ImageWidth = width, ImageHeight = height };
        foreach (var e in Examples(options, count))
        {
            var s = e.Scene;
            Assert.Equal((width, height), (s.Image.Width, s.Image.Height));
            Assert.Equal(options.PatchCount, s.PatchObject.Count);
            Assert.Equal(s.Objects.Count, s.Objects.Select(o => o.Region).Distinct().Count());
            foreach (var o in s.Objects)
            {
                var region = options.RegionBox(o.Region);
                Assert.True(region.Contains(o.Box.X, o.Box.Y) && region.Contains(o.Box.X + o.Box.Width - 1, o.Box.Y + o.Box.Height - 1), $"scene {s.Seed}: {o} leaves {region}");
                Assert.Contains(o.Index, s.PatchObject);
                for (int i = 0; i < o.GlyphPatches.Count; i++)
                {
                    int g = o.GlyphPatches[i];
                    Assert.Equal(o.LabelText[i] - '0', s.PatchDigit[g]);
                    Assert.Contains(o.Color.GlyphRgb(), Pixels(s, options.PatchBox(g)));
                    Assert.True(o.Box.Contains(options.PatchBox(g).X, options.PatchBox(g).Y), $"scene {s.Seed}: glyph patch {g} outside {o}");
                }
            }
            for (int p = 0; p < options.PatchCount; p++)
            {
                var pixels = Pixels(s, options.PatchBox(p)).ToArray();
                int k = s.PatchObject[p];
                if (k < 0)
                    foreach (var o in s.Objects) Assert.True(pixels.Count(px => px == o.Color.Rgb()) < options.MinPatchPixels, $"scene {s.Seed} patch {p} misses {o.Name}");
                else
                {
                    Assert.Contains(s.Objects[k].Color.Rgb(), pixels);
                    Assert.Equal((int)s.Objects[k].Region, s.PatchRegion[p]);
                    Assert.False(s.PatchClutter[p]);
                }
            }
        }
    }

    static IEnumerable<(byte R, byte G, byte B)> Pixels(Scene s, PixelBox box)
    {
        for (int y = box.Y; y < box.Y + box.Height; y++)
            for (int x = box.X; x < box.X + box.Width; x++) yield return s.Image.GetPixel(x, y);
    }

    public static TheoryData<string, string> Benches => new()
    {
        { "classic", "variable" },
        { "dense", "variable" },
        { "classic", "high" },
        { "dense", "high" },
    };

    [Theory]
    [MemberData(nameof(Benches))]
    public void CaptionsNameEveryObjectAndEverySuiteAsksAnswerableItems(string configuration, string resolution)
    {
        var options = SceneOptions.For(SceneBenchConfigurations.Parse(configuration), 144, SceneResolutions.Parse(resolution));
        var examples = Examples(options, 120);
        foreach (var e in examples)
        {
            Assert.Equal(string.Join(" ", e.Scene.Objects.Select(SceneCaption.Sentence)), e.Caption);
            foreach (var o in e.Scene.Objects)
                Assert.Contains($"{o.Color.Word()} {o.Shape.Word()}{(o.Digit is int d ? $" with {SceneCaption.Article(d)} {o.LabelText}" : "")} at the {o.Region.Word()}.", e.Caption);
            foreach (var item in e.Items) Assert.All(item.Evidence, k => Assert.InRange(k, 0, e.Scene.Objects.Count - 1));
        }
        int answered = 0;
        foreach (var suite in SceneSuites.All)
        {
            Assert.True(examples.Count(e => e.ItemsOf(suite).Any()) >= 0.95 * examples.Length, $"{suite.DisplayName()} asks too few items on {configuration} {resolution} scenes");
            foreach (var e in examples)
                foreach (var item in e.ItemsOf(suite))
                {
                    Assert.Contains(item.Answer, suite.AnswerSpace());
                    if ((suite is SceneSuite.VqaV2 or SceneSuite.Gqa or SceneSuite.TextVqa) && Answer(e.Scene, item.Question) is { } expected)
                    {
                        Assert.True(expected == item.Answer, $"scene {e.Scene.Seed}: '{item.Question}' answered '{item.Answer}', expected '{expected}'");
                        answered++;
                    }
                }
        }
        Assert.True(answered >= examples.Length / 2, $"only {answered} open answers checked");
    }

    // the answer of the open questions that name a region or an object, read off the scene's objects
    static string? Answer(Scene scene, string q)
    {
        if (q.StartsWith("what color is the object at the ", StringComparison.Ordinal))
            return scene.ObjectAt(SceneSamples.Region(SceneSamples.Between(q, "at the ", "?")))!.Color.Word();
        if (q.StartsWith("what shape is the object at the ", StringComparison.Ordinal))
            return scene.ObjectAt(SceneSamples.Region(SceneSamples.Between(q, "at the ", "?")))!.Shape.Word();
        if (q.StartsWith("where is the ", StringComparison.Ordinal))
            return SceneSamples.Named(scene, SceneSamples.Between(q, "where is the ", "?"))!.Region.Word();
        if (q == "how many objects are there?")
            return scene.Objects.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return null;
    }

    [Fact]
    public void AQwenStyleGridWithFourPixelPatchesMergesIntoTheScenesPatchGrid()
    {
        var options = SceneOptions.For(SceneBenchConfiguration.Dense, 144, SceneResolution.Variable);
        foreach (long seed in Enumerable.Range(0, 64))
        {
            var own = options.ForScene(seed);
            var grid = new DiffPrune.Models.Vision.Qwen25PatchGrid(own.ImageHeight / 4, own.ImageWidth / 4, MergeSize: 2);
            Assert.Equal((own.GridRows, own.GridColumns, own.PatchCount), (grid.MergedRows, grid.MergedCols, grid.Tokens));
            for (int j = 0; j < grid.Tokens; j++)
            {
                var (row, col) = grid.TokenAt(j);                     // merged token j covers scene patch j
                Assert.Equal(own.PatchBox(j), new PixelBox(col * 8, row * 8, 8, 8));
            }
        }
    }

    [Fact]
    public void AnAnyResModelWith96PixelTilesGivesHighScenesOneTileTokenPerPatch()
    {
        var high = SceneOptions.For(SceneBenchConfiguration.Dense, 144, SceneResolution.High);
        (int, int)[] pinpoints = [(96, 192), (192, 96), (192, 192)];
        // base view 12×12, then the 2×2 tiles' 24×24 features (nothing to unpad) with one newline per row
        Assert.Equal(144 + high.PatchCount + high.GridRows,
            DiffPrune.Models.Vlm.AnyResGeometry.TokenCount(high.ImageHeight, high.ImageWidth, pinpoints, imageSize: 96, patchSize: 8));
        Assert.Equal((192, 192), DiffPrune.Models.Vlm.AnyResGeometry.SelectBestResolution(high.ImageHeight, high.ImageWidth, pinpoints));
    }

    [Fact]
    public void ResolutionNamesParseAndBadOnesAreOneLine()
    {
        Assert.Equal(SceneResolution.High, SceneResolutions.Parse(" HIGH "));
        Assert.Equal(SceneResolution.Variable, SceneResolutions.Parse("variable"));
        Assert.Equal(["standard", "variable", "high"], SceneResolutions.All.Select(r => r.Name()));
        var error = Assert.Throws<ArgumentException>(() => SceneResolutions.Parse("192")).Message;
        Assert.Equal("unknown SceneBench resolution '192': use standard, variable, high", error);
    }
}
