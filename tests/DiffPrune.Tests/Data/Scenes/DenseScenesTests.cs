using DiffPrune.Data.Scenes;

namespace DiffPrune.Tests.Data.Scenes;

/// <summary>The dense configuration: many objects, two-glyph labels, clutter that no text names.</summary>
public class DenseScenesTests
{
    static readonly Lazy<SceneExample[]> Examples = new(() => new SceneBench(SceneOptions.Dense).Split(SceneSplit.Test, 200).ToArray());

    static SceneExample[] Dense => Examples.Value;

    [Fact]
    public void SameSeedSameSceneAndItems()
    {
        foreach (long seed in new long[] { 0, 7, 2_000_000_003 })
        {
            var a = new SceneBench(SceneOptions.Dense).Example(seed);
            var b = new SceneBench(SceneOptions.Dense).Example(seed);
            Assert.Equal(a.Scene.Image.Rgb, b.Scene.Image.Rgb);
            Assert.Equal(a.Scene.PatchClutter, b.Scene.PatchClutter);
            Assert.Equal(a.Caption, b.Caption);
            Assert.Equal(a.Items.Select(i => (i.Prompt, i.Answer)), b.Items.Select(i => (i.Prompt, i.Answer)));
            Assert.NotEqual(Scene.Generate(seed).Image.Rgb, a.Scene.Image.Rgb);
        }
    }

    [Fact]
    public void ScenesHoldSixToNineObjectsEachNamedByTheCaption()
    {
        foreach (var e in Dense)
        {
            Assert.InRange(e.Scene.Objects.Count, 6, 12);
            var sentences = e.Caption.Split(". ", StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(e.Scene.Objects.Count, sentences.Length);
            foreach (var (o, sentence) in e.Scene.Objects.Zip(sentences))
                Assert.StartsWith($"a {o.Size.Word()} {o.Color.Word()} {o.Shape.Word()}", sentence);
        }
        Assert.Equal([6, 7, 8, 9], Dense.Select(e => e.Scene.Objects.Count).Distinct().Order());
        Assert.InRange(Dense.Average(e => e.Scene.Objects.Count), 7, 8);
    }

    [Fact]
    public void ClutterIsDrawnButNeverNamed()
    {
        var plain = SceneOptions.Dense with { MinClutter = 0, MaxClutter = 0 };
        foreach (var e in Dense.Take(60))
        {
            // the same scene without clutter: other pixels, but every text the same, so no text depends on clutter
            var without = new SceneBench(plain).Example(e.Scene.Seed);
            Assert.NotEqual(without.Scene.Image.Rgb, e.Scene.Image.Rgb);
            Assert.Equal(without.Caption, e.Caption);
            Assert.Equal(without.Items.Select(i => (i.Prompt, i.Answer, string.Join(",", i.Evidence))), e.Items.Select(i => (i.Prompt, i.Answer, string.Join(",", i.Evidence))));
            Assert.DoesNotContain(true, without.Scene.PatchClutter);
        }
        Assert.All(Dense, e => Assert.Contains(true, e.Scene.PatchClutter));
        Assert.InRange(Dense.Average(e => e.Scene.PatchClutter.Count(c => c)), 15, 40);
    }

    [Fact]
    public void ClutterPatchesHoldNoObjectAndNoObjectColour()
    {
        foreach (var e in Dense.Take(60))
        {
            var s = e.Scene;
            int size = s.Options.ImageSize;
            for (int q = 0; q < s.PatchClutter.Count; q++)
                if (s.PatchClutter[q]) Assert.Equal(-1, s.PatchObject[q]);
            // background pixels (clutter included) never reach the object colours (spread >= 140) or glyph ink (0 or 255)
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    var px = s.Background.GetPixel(x, y);
                    int hi = Math.Max(px.R, Math.Max(px.G, px.B)), lo = Math.Min(px.R, Math.Min(px.G, px.B));
                    Assert.True(hi - lo <= 48 && lo > 0 && hi < 255, $"scene {s.Seed} background ({x}, {y}) = {px}");
                }
        }
    }

    [Fact]
    public void LabelsHaveTwoGlyphsInAdjacentPatchesThatSpellThem()
    {
        int labels = 0;
        foreach (var e in Dense)
        {
            var s = e.Scene;
            int grid = s.Options.GridSize, p = s.Options.PatchSize;
            foreach (var o in s.Objects.Where(o => o.Digit != null))
            {
                labels++;
                Assert.InRange(o.Digit!.Value, 10, 99);
                Assert.Equal(2, o.LabelText.Length);
                var glyphs = o.GlyphPatches;
                Assert.Equal([o.GlyphPatch, o.GlyphPatch + 1], glyphs);
                Assert.Equal(glyphs[0] / grid, glyphs[1] / grid);                  // side by side in one row
                for (int i = 0; i < 2; i++)
                {
                    int q = glyphs[i], digit = o.LabelText[i] - '0';
                    Assert.Equal(o.Index, s.PatchObject[q]);
                    Assert.Equal(digit, s.PatchDigit[q]);
                    // the glyph is drawn dot for dot, ink on set dots only
                    int gx = q % grid * p + (p - DigitFont.Width) / 2, gy = q / grid * p + (p - DigitFont.Height) / 2;
                    for (int y = 0; y < DigitFont.Height; y++)
                        for (int x = 0; x < DigitFont.Width; x++)
                            Assert.Equal(DigitFont.IsSet(digit, x, y), s.Image.GetPixel(gx + x, gy + y) == o.Color.GlyphRgb());
                }
                // the box holds the second glyph's plate, so occluding the object removes the whole label
                Assert.True(o.Box.X + o.Box.Width >= (glyphs[1] % grid + 1) * p - 1);
            }
            Assert.Equal(2 * s.Objects.Count(o => o.Digit != null), s.PatchDigit.Count(d => d >= 0));
        }
        Assert.True(labels >= Dense.Length, $"only {labels} labels in {Dense.Length} scenes");
    }

    [Fact]
    public void LabelQuestionsAskForTheWholeLabel()
    {
        int open = 0, choice = 0;
        foreach (var e in Dense)
            foreach (var item in e.Items.Where(i => i.Skill == QuestionSkill.Digit && i.Unanswerable == UnanswerableReason.None))
            {
                var o = e.Scene.Objects[Assert.Single(item.Evidence)];
                if (item.Options.Count == 0)
                {
                    open++;
                    Assert.Equal(o.LabelText, item.Answer);
                    Assert.Contains(item.Answer, item.Suite.AnswerSpace());
                    // the tokenizer's digits, as a model writes them back, match the label
                    Assert.True(AnswerNormalizer.Matches(string.Join(' ', o.LabelText.ToCharArray()), item.Answer));
                    continue;
                }
                choice++;
                int answer = item.Answer[0] - 'A';
                Assert.Equal(o.LabelText, item.Options[answer]);
                // every wrong option shares exactly one glyph with the label, so that both glyphs must be read
                foreach (var wrong in item.Options.Where((_, i) => i != answer))
                {
                    Assert.Equal(2, wrong.Length);
                    Assert.Equal(1, (wrong[0] == o.LabelText[0] ? 1 : 0) + (wrong[1] == o.LabelText[1] ? 1 : 0));
                }
            }
        Assert.True(open > 100 && choice > 100, $"{open} open and {choice} multiple-choice label items");
    }

    [Fact]
    public void CountOptionsDoNotGiveTheCountAway()
    {
        foreach (var e in Dense)
            foreach (var item in e.Items.Where(i => i.Skill == QuestionSkill.Count && i.Options.Count > 0))
            {
                var counts = item.Options.Select(int.Parse).ToArray();
                int right = counts[item.Answer[0] - 'A'];
                Assert.Equal(e.Scene.Objects.Count, right);
                Assert.All(counts, c => Assert.InRange(c, 4, 11));
            }
    }

    [Fact]
    public void ClassicOptionsHaveNoClutterAndSingleDigits()
    {
        foreach (var e in SceneSamples.Test.Take(100))
        {
            Assert.DoesNotContain(true, e.Scene.PatchClutter);
            Assert.All(e.Scene.Objects.Where(o => o.Digit != null), o => Assert.Single(o.GlyphPatches));
        }
        Assert.Same(SceneOptions.Default, SceneOptions.For(SceneBenchConfiguration.Classic, 144));
        Assert.Equal(SceneBenchConfiguration.Dense, SceneOptions.For(SceneBenchConfiguration.Dense, 81).Configuration);
        Assert.Equal(72, SceneOptions.For(SceneBenchConfiguration.Dense, 81).ImageSize);
    }

    [Fact]
    public void ConfigurationNamesParseAndBadOnesAreOneLine()
    {
        Assert.Equal(SceneBenchConfiguration.Dense, SceneBenchConfigurations.Parse(" DENSE"));
        Assert.Equal("classic", SceneBenchConfiguration.Classic.Name());
        var e = Assert.Throws<ArgumentException>(() => SceneBenchConfigurations.Parse("busy"));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("'busy'", e.Message);
        Assert.Contains("classic or dense", e.Message);
        Assert.Throws<ArgumentException>(() => (SceneOptions.Dense with { LabelGlyphs = 3 }).Validate());
        Assert.Throws<ArgumentException>(() => (SceneOptions.Dense with { MinClutter = 5, MaxClutter = 4 }).Validate());
    }

    [Fact]
    public void SpacedDigitsNormaliseToOneNumber()
    {
        Assert.True(AnswerNormalizer.Matches("3 7", "37"));
        Assert.True(AnswerNormalizer.Matches("The 3 7.", "37"));
        Assert.False(AnswerNormalizer.Matches("3", "37"));
        Assert.False(AnswerNormalizer.Matches("7 3", "37"));
        Assert.Equal("red 12 top", AnswerNormalizer.Normalize("red 1 2 top"));
    }
}
