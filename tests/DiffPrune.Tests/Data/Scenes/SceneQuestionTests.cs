using DiffPrune.Data.Scenes;

namespace DiffPrune.Tests.Data.Scenes;

public class SceneQuestionTests
{
    [Fact]
    public void EverySuiteHasItemsForMostScenesAndAnswersInItsSpace()
    {
        foreach (var suite in SceneSuites.All)
        {
            int withItems = SceneSamples.Test.Count(e => e.ItemsOf(suite).Any());
            Assert.True(withItems >= 0.95 * SceneSamples.Test.Length, $"{suite.DisplayName()}: items for only {withItems} of {SceneSamples.Test.Length} scenes");
            var space = suite.AnswerSpace();
            foreach (var (scene, item) in SceneSamples.Items(suite))
            {
                Assert.Equal(scene.Seed, item.SceneSeed);
                Assert.Contains(item.Answer, space);
                Assert.All(item.Evidence, k => Assert.InRange(k, 0, scene.Objects.Count - 1));
                Assert.Equal(item.Question.Trim(), item.Question);
            }
            // a scene never asks the same question twice in a suite (POPE's positives are shared by its splits)
            if (suite != SceneSuite.Pope)
                foreach (var e in SceneSamples.Test)
                    Assert.Equal(e.ItemsOf(suite).Select(i => i.Prompt).Distinct().Count(), e.ItemsOf(suite).Count());
        }
    }

    [Fact]
    public void OpenAnswersAreTrueOfTheScene()
    {
        foreach (var suite in new[] { SceneSuite.VqaV2, SceneSuite.TextVqa, SceneSuite.Gqa })
            foreach (var (scene, item) in SceneSamples.Items(suite))
            {
                var q = item.Question;
                string? expected = null;
                if (q.StartsWith("what color is the object at the ", StringComparison.Ordinal))
                    expected = scene.ObjectAt(SceneSamples.Region(SceneSamples.Between(q, "at the ", "?")))!.Color.Word();
                else if (q.StartsWith("what shape is the object at the ", StringComparison.Ordinal))
                    expected = scene.ObjectAt(SceneSamples.Region(SceneSamples.Between(q, "at the ", "?")))!.Shape.Word();
                else if (q.StartsWith("where is the ", StringComparison.Ordinal))
                    expected = SceneSamples.Named(scene, SceneSamples.Between(q, "where is the ", "?"))!.Region.Word();
                else if (q == "how many objects are there?")
                    expected = scene.Objects.Count.ToString();
                else if (q.StartsWith("what digit is on the ", StringComparison.Ordinal))
                    expected = SceneSamples.Named(scene, SceneSamples.Between(q, "on the ", "?"))!.Digit.ToString();
                else if (q.StartsWith("is there an object ", StringComparison.Ordinal) || q.StartsWith("is the ", StringComparison.Ordinal))
                    Assert.Contains(item.Answer, new[] { "yes", "no" });
                else if (q.StartsWith("what color is the object ", StringComparison.Ordinal) && (q.Contains(" left of the ") || q.Contains(" right of the ")))
                {
                    // GQA: the one object left (right) of the anchor, by region column
                    bool left = q.Contains(" left of the ");
                    var anchor = SceneSamples.Named(scene, SceneSamples.Between(q, " of the ", "?"))!;
                    var related = scene.Objects.Where(o => left ? o.Region.Column() < anchor.Region.Column() : o.Region.Column() > anchor.Region.Column()).ToArray();
                    Assert.Single(related);
                    expected = related[0].Color.Word();
                }
                if (expected != null) Assert.True(expected == item.Answer, $"scene {scene.Seed}: '{q}' answered '{item.Answer}', expected '{expected}'");
            }
    }

    [Fact]
    public void MultipleChoiceLettersPointToTheRightOptionAndAreShuffled()
    {
        var letters = new Dictionary<string, int>();
        int fourOption = 0;
        foreach (var suite in new[] { SceneSuite.MmBench, SceneSuite.MmBenchCn, SceneSuite.Seed, SceneSuite.Sqa })
            foreach (var (scene, item) in SceneSamples.Items(suite))
            {
                Assert.InRange(item.Options.Count, 2, 4);
                Assert.Equal(item.Options.Count, item.Options.Distinct().Count());
                Assert.InRange(item.AnswerIndex, 0, item.Options.Count - 1);
                Assert.Equal(SceneQuestion.Letters[item.AnswerIndex], item.Answer);
                Assert.StartsWith(item.Question + " " + (item.OptionStyle == OptionStyle.Dotted ? "A. " : "(A) "), item.Prompt);
                var right = item.Options[item.AnswerIndex];
                var target = item.Evidence.Count > 0 ? scene.Objects[item.Evidence[^1]] : null;
                string? expected = item.Skill switch
                {
                    QuestionSkill.Color => target!.Color.Word(),
                    QuestionSkill.Shape => target!.Shape.Word(),
                    QuestionSkill.Position => target!.Region.Word(),
                    QuestionSkill.Digit => target!.Digit.ToString(),
                    QuestionSkill.Count => scene.Objects.Count.ToString(),
                    QuestionSkill.Identity or QuestionSkill.Relation => target!.Name,
                    _ => null,
                };
                if (expected != null) Assert.True(expected == right, $"scene {scene.Seed}: '{item.Prompt}' -> {item.Answer} = '{right}', expected '{expected}'");
                if (item.Options.Count == 4 && fourOption++ < 400) letters[item.Answer] = letters.GetValueOrDefault(item.Answer) + 1;
            }
        Assert.Equal(400, letters.Values.Sum());
        foreach (var letter in SceneQuestion.Letters) Assert.InRange(letters.GetValueOrDefault(letter), 70, 130);   // 100 expected
    }

    [Fact]
    public void ScienceQaNeedsKnowledgeAndTheImage()
    {
        int which = 0;
        foreach (var (scene, item) in SceneSamples.Items(SceneSuite.Sqa))
        {
            var right = item.Options[item.AnswerIndex];
            if (item.Question == "which object in the image can roll?")
            {
                which++;
                var o = SceneSamples.Named(scene, right)!;
                Assert.True(o.Shape.CanRoll());
                foreach (var other in item.Options.Where(x => x != right))
                {
                    var present = SceneSamples.Named(scene, other);
                    var shape = SceneAttributes.Shapes.Single(s => s.Word() == other.Split(' ')[1]);
                    Assert.True(present == null || !shape.CanRoll(), $"scene {scene.Seed}: distractor '{other}' also rolls and is present");
                }
                // at least one distractor rolls but is absent: knowledge alone cannot pick the answer
                Assert.Contains(item.Options, x => x != right && SceneSamples.Named(scene, x) == null && SceneAttributes.Shapes.Single(s => s.Word() == x.Split(' ')[1]).CanRoll());
            }
            else if (item.Question.StartsWith("is the color of the object at the ", StringComparison.Ordinal))
                Assert.Equal(scene.ObjectAt(SceneSamples.Region(SceneSamples.Between(item.Question, "at the ", " warm")))!.Color.IsWarm() ? "warm" : "cool", right);
            else if (item.Question.StartsWith("is the number on the ", StringComparison.Ordinal))
                Assert.Equal(SceneSamples.Named(scene, SceneSamples.Between(item.Question, "on the ", " even"))!.Digit % 2 == 0 ? "even" : "odd", right);
        }
        Assert.True(which > 20);
    }

    [Fact]
    public void PopeNegativesAreWhatTheirSplitSays()
    {
        var perSplit = new Dictionary<PopeSplit, int>();
        foreach (var (scene, item) in SceneSamples.Items(SceneSuite.Pope))
        {
            var name = SceneSamples.Between(item.Question, item.Question.StartsWith("is there an ", StringComparison.Ordinal) ? "is there an " : "is there a ", " in the image?");
            var present = SceneSamples.Named(scene, name);
            Assert.Equal(item.Answer == "yes", present != null);
            Assert.NotNull(item.PopeSplit);
            if (item.Answer == "yes") continue;
            perSplit[item.PopeSplit!.Value] = perSplit.GetValueOrDefault(item.PopeSplit.Value) + 1;
            var parts = name.Split(' ');
            var color = SceneAttributes.Colors.Single(c => c.Word() == parts[0]);
            var shape = SceneAttributes.Shapes.Single(s => s.Word() == parts[1]);
            switch (item.PopeSplit)
            {
                case PopeSplit.Popular:
                    // among the three most frequent kinds absent from the image
                    int prior = SceneAttributes.Prior(color, shape);
                    int moreFrequentAbsent = Enumerable.Range(0, SceneAttributes.KindCount).Select(SceneAttributes.Kind)
                        .Count(k => scene.Find(k.Color, k.Shape) == null && SceneAttributes.Prior(k.Color, k.Shape) > prior);
                    Assert.True(moreFrequentAbsent < 3, $"scene {scene.Seed}: popular negative {name} has {moreFrequentAbsent} more frequent absent kinds");
                    break;
                case PopeSplit.Adversarial:
                    Assert.Contains(scene.Objects, o => o.Color == color || o.Shape == shape);
                    break;
            }
        }
        Assert.All(Enum.GetValues<PopeSplit>(), s => Assert.Equal(SceneSamples.Test.Length, perSplit[s]));
    }

    [Fact]
    public void MmeItemsComeInPairsOfOneYesAndOneNo()
    {
        foreach (var e in SceneSamples.Test)
        {
            var groups = e.ItemsOf(SceneSuite.Mme).GroupBy(i => i.Group).ToArray();
            Assert.Equal(SceneOptions.Default.QuestionsPerSuite, groups.Length);
            foreach (var g in groups)
            {
                Assert.True(g.Key >= 0);
                Assert.Equal(["no", "yes"], g.Select(i => i.Answer).Order());
                Assert.Single(g.Select(i => i.Skill).Distinct());
                Assert.All(g, i => Assert.EndsWith("please answer yes or no.", i.Question));
            }
            Assert.Equal(groups.Length, groups.Select(g => g.First().Skill).Distinct().Count());   // distinct subtasks
        }
    }

    [Fact]
    public void VizWizUnanswerableItemsReallyLackTheirObject()
    {
        int occluded = 0, absent = 0, answerable = 0;
        foreach (var (scene, item) in SceneSamples.Items(SceneSuite.VizWiz))
        {
            Assert.NotNull(item.Image);
            Assert.Equal(item.Answer == "unanswerable", item.Unanswerable != UnanswerableReason.None);
            if (item.Unanswerable == UnanswerableReason.Occluded)
            {
                occluded++;
                Assert.True(item.Degradation.HasFlag(ImageDegradation.Occlusion));
                var o = scene.Objects[Assert.Single(item.Evidence)];
                Assert.False(Shows(item.Image!, o, item.Degradation), $"scene {scene.Seed}: occluded {o.Name} is still visible");
                Assert.True(Shows(scene.Image, o, ImageDegradation.None), $"scene {scene.Seed}: the test cannot see {o.Name} even in the clean image");
            }
            else if (item.Unanswerable == UnanswerableReason.Absent)
            {
                absent++;
                Assert.Empty(item.Evidence);
                if (item.Question.StartsWith("what color is the object at the ", StringComparison.Ordinal))
                    Assert.Null(scene.ObjectAt(SceneSamples.Region(SceneSamples.Between(item.Question, "at the ", "?"))));
                else
                    Assert.Null(SceneSamples.Named(scene, SceneSamples.Between(item.Question, item.Question.StartsWith("where", StringComparison.Ordinal) ? "where is the " : "on the ", "?")));
            }
            else
            {
                answerable++;
                var o = scene.Objects[Assert.Single(item.Evidence)];
                Assert.True(Shows(item.Image!, o, item.Degradation), $"scene {scene.Seed}: answerable item about {o.Name}, which the degraded image lost");
                if (item.Skill == QuestionSkill.Digit) Assert.False(item.Degradation.HasFlag(ImageDegradation.Blur));
            }
        }
        Assert.True(occluded > 50 && absent > 50 && answerable > 200, $"occluded {occluded}, absent {absent}, answerable {answerable}");
    }

    // Whether a pixel of the object's box is near its colour as the degradation renders it. A background pixel is at
    // least (140 − 48) / 2 = 46 away from every object colour in some channel (channel spreads ≤ 48 vs ≥ 140); noise
    // moves it by ≤ 24 (so ≥ 22 away), low contrast scales distances by 2/5 (≥ 17), and blur only mixes background
    // inside the box shrunk by one pixel (≥ 46). Object pixels stay within 20 (noise, most of them), 0 or 40 (blur).
    static bool Shows(DiffPrune.Data.Images.RgbImage image, SceneObject o, ImageDegradation degradation)
    {
        var c = o.Color.Rgb();
        int tolerance = 8;
        if (degradation.HasFlag(ImageDegradation.LowContrast)) { c = (Low(c.R), Low(c.G), Low(c.B)); tolerance = 4; }
        if (degradation.HasFlag(ImageDegradation.Noise)) tolerance = 20;
        if (degradation.HasFlag(ImageDegradation.Blur)) tolerance = 40;
        int inset = degradation.HasFlag(ImageDegradation.Blur) ? 1 : 0;
        for (int y = o.Box.Y + inset; y < o.Box.Y + o.Box.Height - inset; y++)
            for (int x = o.Box.X + inset; x < o.Box.X + o.Box.Width - inset; x++)
            {
                var p = image.GetPixel(x, y);
                if (Math.Abs(p.R - c.R) <= tolerance && Math.Abs(p.G - c.G) <= tolerance && Math.Abs(p.B - c.B) <= tolerance) return true;
            }
        return false;

        static byte Low(byte v) => (byte)(128 + (v - 128) * 2 / 5);
    }
}
