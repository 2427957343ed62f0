using DiffPrune.Data.Scenes;
using DiffPrune.Eval.Calibration;

namespace DiffPrune.Tests.Eval.Calibration;

/// <summary>PatchFacts on non-square, variable-size and 192 px scenes: N is the scene's own, glyph patches are the
/// labels' patches of its R × C grid, and the oracle holds everything with the fewest patches.</summary>
public class PatchFactsGeometryTests
{
    public static TheoryData<string> Resolutions => new() { "variable", "high" };

    [Theory]
    [MemberData(nameof(Resolutions))]
    public void FactsFollowEachScenesOwnGrid(string resolution)
    {
        var options = SceneOptions.For(SceneBenchConfiguration.Dense, 144, SceneResolutions.Parse(resolution));
        foreach (var e in new SceneBench(options).Split(SceneSplit.Test, 30))
        {
            var s = e.Scene;
            var f = new PatchFacts(s);
            Assert.Equal(s.Options.GridRows * s.Options.GridColumns, f.Patches);
            Assert.Equal(s.Objects.Count + s.Objects.Sum(o => o.GlyphPatches.Count), f.Facts);
            Assert.Equal(1, f.Information(f.Oracle(f.PatchesForAllFacts)));
            Assert.True(f.Information(f.Oracle(f.PatchesForAllFacts - 1)) < 1);
            var glyphs = s.Objects.SelectMany(o => o.GlyphPatches).Order().ToArray();
            Assert.Equal((0, glyphs.Length), f.Held(glyphs) with { Objects = 0 });
            // the oracle's patches are every glyph patch plus one patch of each unlabelled object
            var oracle = f.Oracle(f.PatchesForAllFacts);
            Assert.All(glyphs, g => Assert.Contains(g, oracle));
            Assert.All(oracle, p => Assert.True(s.PatchObject[p] >= 0, $"scene {s.Seed}: oracle patch {p} is background"));
        }
    }
}
