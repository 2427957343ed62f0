using DiffPrune.Data.Scenes;
using DiffPrune.Eval.Calibration;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Eval.Calibration;

public class PatchFactsTests
{
    static readonly Scene[] Scenes = new SceneBench(SceneOptions.Dense).Split(SceneSplit.Test, 40).Select(e => e.Scene).ToArray();

    [Fact]
    public void FactsCountObjectsAndGlyphs()
    {
        foreach (var s in Scenes)
        {
            var f = new PatchFacts(s);
            Assert.Equal(s.Objects.Count + s.Objects.Sum(o => o.GlyphPatches.Count), f.Facts);
            Assert.Equal(0, f.Information([]));
            Assert.Equal(1, f.Information(Enumerable.Range(0, f.Patches)));
            // a glyph patch shows its glyph and its object; a plain patch shows nothing
            var o = s.Objects.First(x => x.Digit != null);
            Assert.Equal((1, 1), f.Held([o.GlyphPatch]));
            Assert.Equal((1, 2), f.Held(o.GlyphPatches));
            int plain = Enumerable.Range(0, f.Patches).First(p => s.PatchObject[p] < 0);
            Assert.Equal((0, 0), f.Held([plain]));
        }
    }

    [Fact]
    public void TheOracleHoldsEverythingWithTheFewestPatchesAndNoOneDoesBetter()
    {
        foreach (var s in Scenes)
        {
            var f = new PatchFacts(s);
            Assert.Equal(1, f.Information(f.Oracle(f.PatchesForAllFacts)));
            Assert.True(f.Information(f.Oracle(f.PatchesForAllFacts - 1)) < 1);
            // no random K-set holds more than the oracle's
            var gen = new Generator((ulong)s.Seed);
            for (int k = 1; k <= 12; k += 3)
                for (int t = 0; t < 20; t++)
                {
                    var objectPatches = Enumerable.Range(0, f.Patches).Where(f.IsObject).ToArray();
                    var draw = gen.Permutation(objectPatches.Length)[..Math.Min(k, objectPatches.Length)].Select(i => objectPatches[i]);
                    Assert.True(f.Information(draw) <= f.Information(f.Oracle(k)) + 1e-12);
                }
        }
    }

    [Fact]
    public void ExpectedRandomMatchesSampling()
    {
        var s = Scenes[3];
        var f = new PatchFacts(s);
        var gen = new Generator(11);
        foreach (bool objectOnly in new[] { false, true })
        {
            var pool = Enumerable.Range(0, f.Patches).Where(p => !objectOnly || f.IsObject(p)).ToArray();
            const int k = 8, draws = 20_000;
            double objects = 0, glyphs = 0;
            for (int t = 0; t < draws; t++)
            {
                var (o, g) = f.Held(gen.Permutation(pool.Length)[..k].Select(i => pool[i]));
                objects += o;
                glyphs += g;
            }
            var expected = f.ExpectedRandom(k, objectOnly);
            Assert.Equal(expected.Objects, objects / draws, 0.05);
            Assert.Equal(expected.Glyphs, glyphs / draws, 0.05);
        }
        Assert.Equal((f.Objects, f.Glyphs), ((int)f.ExpectedRandom(f.Patches, false).Objects, (int)f.ExpectedRandom(f.Patches, false).Glyphs));
    }

    [Fact]
    public void TheAnalysisSummarisesScenes()
    {
        var summary = OracleAnalysis.Run(Scenes, [8, 16, 32]);
        Assert.Equal("dense", summary.Configuration);
        Assert.Equal(144, summary.Patches);
        Assert.Equal(144, summary.ObjectPatches + summary.ClutterPatches + summary.PlainPatches, 9);
        Assert.All(summary.Budgets, b => Assert.True(b.Random.Information < b.ObjectRandom.Information && b.ObjectRandom.Information <= b.Oracle.Information));
        Assert.Throws<ArgumentOutOfRangeException>(() => OracleAnalysis.Run(Scenes, [145]));
    }
}
