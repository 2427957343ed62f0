using DiffPrune.Data.Scenes;

namespace DiffPrune.Tests.Data.Scenes;

public class SceneGeneratorTests
{
    [Fact]
    public void SameSeedSamePixelsDifferentSeedsDiffer()
    {
        var a = Scene.Generate(123);
        var b = Scene.Generate(123);
        Assert.Equal(a.Image.Rgb, b.Image.Rgb);
        Assert.Equal(a.Caption, b.Caption);
        Assert.Equal(a.PatchObject, b.PatchObject);
        var distinct = Enumerable.Range(0, 20).Select(s => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Scene.Generate(s).Image.Rgb))).Distinct().Count();
        Assert.Equal(20, distinct);
    }

    [Fact]
    public void ObjectsAreDistinctKindsInDistinctRegionsInsideTheirRegionAndNeverOverlap()
    {
        var options = SceneOptions.Default;
        var counts = new int[10];
        foreach (var e in SceneSamples.Test)
        {
            var objects = e.Scene.Objects;
            counts[objects.Count]++;
            Assert.InRange(objects.Count, options.MinObjects, options.MaxObjects);
            Assert.Equal(objects.Count, objects.Select(o => o.KindIndex).Distinct().Count());
            Assert.Equal(objects.Count, objects.Select(o => o.Region).Distinct().Count());
            Assert.Equal(objects.OrderBy(o => o.Region).Select(o => o.Index), objects.Select(o => o.Index));
            foreach (var o in objects)
            {
                var region = new PixelBox(o.Region.Column() * options.RegionSize, o.Region.Row() * options.RegionSize, options.RegionSize, options.RegionSize);
                Assert.True(region.Contains(o.Box.X, o.Box.Y) && region.Contains(o.Box.X + o.Box.Width - 1, o.Box.Y + o.Box.Height - 1), $"scene {e.Scene.Seed}: {o} leaves its region");
                Assert.Equal(o.Size == ObjectSize.Small ? options.PatchSize : 2 * options.PatchSize, o.Box.Width);
                foreach (var p in objects.Where(p => p.Index > o.Index))
                    Assert.False(o.Box.Overlaps(p.Box), $"scene {e.Scene.Seed}: {o.Name} overlaps {p.Name}");
            }
            Assert.Contains(objects, o => o.Digit != null);            // EnsureDigit
        }
        for (int n = 1; n <= 5; n++) Assert.InRange(counts[n], 60, 140);  // uniform over 1..5 (100 expected)
    }

    [Fact]
    public void EveryPixelIsBackgroundOrItsObjectsColourOrGlyph()
    {
        foreach (var e in SceneSamples.Test.Take(100))
        {
            var s = e.Scene;
            for (int y = 0; y < s.Image.Height; y++)
                for (int x = 0; x < s.Image.Width; x++)
                {
                    var px = s.Image.GetPixel(x, y);
                    var owner = s.Objects.FirstOrDefault(o => o.Box.Contains(x, y));
                    if (px == s.Background.GetPixel(x, y))
                    {
                        Assert.True(Spread(px) <= 48 && Math.Min(px.R, Math.Min(px.G, px.B)) >= 40 && Math.Max(px.R, Math.Max(px.G, px.B)) <= 230, $"scene {s.Seed} ({x}, {y}): background {px}");
                        continue;
                    }
                    Assert.True(owner != null, $"scene {s.Seed} ({x}, {y}): painted outside every object box");
                    Assert.True(px == owner!.Color.Rgb() || (owner.Digit != null && px == owner.Color.GlyphRgb()), $"scene {s.Seed} ({x}, {y}): {px} is not {owner.Name}'s colour");
                }
        }
    }

    [Fact]
    public void PatchLabelsAgreeWithPixels()
    {
        var options = SceneOptions.Default;
        int labelled = 0, patches = 0;
        foreach (var e in SceneSamples.Test.Take(200))
        {
            var s = e.Scene;
            Assert.Equal(options.PatchCount, s.PatchObject.Count);
            for (int p = 0; p < options.PatchCount; p++)
            {
                patches++;
                int k = s.PatchObject[p];
                var pixels = PatchPixels(s, p).ToArray();
                if (k < 0)
                {
                    Assert.Equal(-1, s.PatchShape[p]);
                    Assert.Equal(-1, s.PatchDigit[p]);
                    Assert.Equal(-1, s.PatchObjectDigit[p]);
                    Assert.Equal(-1, s.PatchRegion[p]);
                    Assert.False(s.PatchAnchor[p]);
                    // an unlabelled patch holds fewer than MinPatchPixels pixels of any object
                    foreach (var o in s.Objects) Assert.True(pixels.Count(px => px == o.Color.Rgb()) < options.MinPatchPixels, $"scene {s.Seed} patch {p} misses {o.Name}");
                    continue;
                }
                labelled++;
                var obj = s.Objects[k];
                Assert.Contains(obj.Color.Rgb(), pixels);
                Assert.Equal((int)obj.Shape, s.PatchShape[p]);
                Assert.Equal((int)obj.Color, s.PatchColor[p]);
                Assert.Equal((int)obj.Size, s.PatchSize[p]);
                Assert.Equal(obj.Digit ?? -1, s.PatchObjectDigit[p]);       // every patch of the object carries its digit
                Assert.Equal((int)obj.Region, s.PatchRegion[p]);
                Assert.InRange(s.PatchPixels[p], 1, options.PatchSize * options.PatchSize);
            }
            foreach (var o in s.Objects)
            {
                Assert.Contains(o.Index, s.PatchObject);                   // every object is visible to dense labels
                var own = Enumerable.Range(0, options.PatchCount).Where(p => s.PatchObject[p] == o.Index).ToArray();
                var anchor = Assert.Single(own, p => s.PatchAnchor[p]);     // one anchor per object, on its fullest patch
                Assert.Equal(own.Max(p => s.PatchPixels[p]), s.PatchPixels[anchor]);
                if (o.Digit is int d)
                {
                    Assert.Equal(d, s.PatchDigit[o.GlyphPatch]);
                    Assert.Contains(o.Color.GlyphRgb(), PatchPixels(s, o.GlyphPatch));
                }
            }
            Assert.Equal(s.Objects.Count(o => o.Digit != null), s.PatchDigit.Count(d => d >= 0));
            for (int i = 0; i < SceneAttributes.KindCount; i++)
            {
                var (c, sh) = SceneAttributes.Kind(i);
                Assert.Equal(s.Find(c, sh) != null, s.ObjectsPresent[i]);
            }
        }
        Assert.InRange(labelled / (double)patches, 0.03, 0.25);           // most tokens are background
    }

    [Fact]
    public void CaptionNamesEveryObjectInReadingOrder()
    {
        var s = Scene.Generate(7);
        var expected = string.Join(" ", s.Objects.Select(o =>
            $"a {o.Size.Word()} {o.Color.Word()} {o.Shape.Word()}{(o.Digit is int d ? $" with {(d == 8 ? "an" : "a")} {d}" : "")} at the {o.Region.Word()}."));
        Assert.Equal(expected, s.Caption);
        Assert.Equal(s.Objects.Count, s.Caption.Count(c => c == '.'));
    }

    [Fact]
    public void Grid81HasNineByNinePatchesAndTheSameObjectSizes()
    {
        var options = SceneOptions.Grid81;
        Assert.Equal(81, options.PatchCount);
        for (int seed = 0; seed < 50; seed++)
        {
            var s = Scene.Generate(seed, options);
            Assert.Equal(72, s.Image.Width);
            Assert.Equal(81, s.PatchObject.Count);
            foreach (var o in s.Objects) Assert.True(o.Box.X >= 0 && o.Box.X + o.Box.Width <= 72 && o.Box.Y + o.Box.Height <= 72);
        }
    }

    [Fact]
    public void CurriculumBoundsAreHonoured()
    {
        var options = new SceneOptions { MinObjects = 1, MaxObjects = 2 };
        for (int seed = 0; seed < 50; seed++) Assert.InRange(Scene.Generate(seed, options).Objects.Count, 1, 2);
        var full = new SceneOptions { MinObjects = 9, MaxObjects = 9 };
        Assert.Equal(9, Scene.Generate(1, full).Objects.Count);
    }

    [Fact]
    public void BadOptionsAndSeedsAreRejectedByName()
    {
        Assert.Contains("MaxObjects", Assert.Throws<ArgumentException>(() => Scene.Generate(0, new SceneOptions { MaxObjects = 10 })).Message);
        Assert.Contains("PatchSize", Assert.Throws<ArgumentException>(() => Scene.Generate(0, new SceneOptions { PatchSize = 6 })).Message);
        Assert.Contains("ImageSize", Assert.Throws<ArgumentException>(() => Scene.Generate(0, new SceneOptions { ImageSize = 100 })).Message);
        Assert.Contains("3x3 regions", Assert.Throws<ArgumentException>(() => Scene.Generate(0, new SceneOptions { ImageSize = 80 })).Message);
        Assert.Contains("LargeProbability", Assert.Throws<ArgumentException>(() => Scene.Generate(0, new SceneOptions { LargeProbability = 1.5 })).Message);
        Assert.Contains("negative", Assert.Throws<ArgumentOutOfRangeException>(() => Scene.Generate(-1)).Message);
    }

    [Fact]
    public void ShapesDifferAtOnePatch()
    {
        var masks = SceneAttributes.Shapes.Select(s => ShapeMask.Get(s, 8)).ToArray();
        for (int i = 0; i < masks.Length; i++)
            for (int j = i + 1; j < masks.Length; j++)
                Assert.True(masks[i].Zip(masks[j]).Count(p => p.First != p.Second) >= 8, $"{SceneAttributes.Shapes[i]} and {SceneAttributes.Shapes[j]} differ in fewer than 8 of 64 pixels");
        Assert.All(Enumerable.Range(0, 10), d => Assert.Contains(true, Enumerable.Range(0, 35).Select(k => DigitFont.IsSet(d, k % 5, k / 5))));
    }

    static int Spread((byte R, byte G, byte B) c) => Math.Max(c.R, Math.Max(c.G, c.B)) - Math.Min(c.R, Math.Min(c.G, c.B));

    static IEnumerable<(byte R, byte G, byte B)> PatchPixels(Scene s, int patch)
    {
        int p = s.Options.PatchSize, g = s.Options.GridSize;
        for (int y = patch / g * p; y < (patch / g + 1) * p; y++)
            for (int x = patch % g * p; x < (patch % g + 1) * p; x++)
                yield return s.Image.GetPixel(x, y);
    }
}
