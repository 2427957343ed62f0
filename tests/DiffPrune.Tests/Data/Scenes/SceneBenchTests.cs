using System.Security.Cryptography;
using System.Text;
using DiffPrune.Data.Scenes;

namespace DiffPrune.Tests.Data.Scenes;

public class SceneBenchTests
{
    /// <summary>SHA-256 of the first 50 test scenes (pixels, labels, captions, every item and VizWiz image). Changing
    /// generation in any way changes it: update it only on purpose, knowing that test results are then not comparable.</summary>
    const string TestSplitHash = "59372ca05dfd94842821265df9c55beb1c50f43299061b3caee3d931e9583381";

    [Fact]
    public void TestSplitIsPinned()
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var e in new SceneBench().Split(SceneSplit.Test, 50))
        {
            sha.AppendData(BitConverter.GetBytes(e.Scene.Seed));
            sha.AppendData(e.Scene.Image.Rgb);
            foreach (int p in e.Scene.PatchObject) sha.AppendData(BitConverter.GetBytes(p));
            sha.AppendData(Encoding.UTF8.GetBytes(e.Caption + "\n"));
            foreach (var item in e.Items)
            {
                sha.AppendData(Encoding.UTF8.GetBytes($"{item.Suite}|{item.Prompt}|{item.Answer}|{item.Skill}|{item.Group}|{item.PopeSplit}|{item.Degradation}|{item.Unanswerable}|{string.Join(',', item.Evidence)}\n"));
                if (item.Image != null) sha.AppendData(item.Image.Rgb);
            }
        }
        string actual = Convert.ToHexStringLower(sha.GetHashAndReset());
        Assert.True(actual == TestSplitHash, $"the first 50 test scenes changed: SHA-256 {actual}, pinned {TestSplitHash}");
    }

    [Fact]
    public void SplitsHaveDisjointSeedRanges()
    {
        var ranges = Enum.GetValues<SceneSplit>().Select(s => (First: s.FirstSeed(), Last: s.FirstSeed() + s.Size() - 1)).OrderBy(r => r.First).ToArray();
        for (int i = 1; i < ranges.Length; i++) Assert.True(ranges[i].First > ranges[i - 1].Last);
        var bench = new SceneBench();
        Assert.Equal(2_000_000_000 + 7, bench.Split("test", 3, start: 7).First().Scene.Seed);
        Assert.Equal(1_000_000_000, bench.Split("val", 1).Single().Scene.Seed);
        Assert.Equal(SceneSplit.Validation, SceneSplits.Parse("Validation"));
        Assert.Contains("train, val or test", Assert.Throws<ArgumentException>(() => SceneSplits.Parse("dev")).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => bench.Split(SceneSplit.Test, 2, start: 999_999));
    }

    [Fact]
    public void SplitIsLazyAndRepeatable()
    {
        var bench = new SceneBench();
        var lazy = bench.Split(SceneSplit.Train, 1_000_000);          // generates nothing until enumerated
        var firstTwo = lazy.Take(2).ToArray();
        Assert.Equal([0L, 1L], firstTwo.Select(e => e.Scene.Seed));
        Assert.Equal(firstTwo[1].Items.Select(i => i.Prompt), bench.Example(1).Items.Select(i => i.Prompt));
        // each suite has its own stream: one suite's items do not depend on which others were asked for
        var scene = firstTwo[1].Scene;
        Assert.Equal(firstTwo[1].ItemsOf(SceneSuite.Seed).Select(i => i.Prompt), SceneBench.Questions(scene, SceneSuite.Seed).Select(i => i.Prompt));
    }

    [Fact]
    public void CircularMultipleChoiceRotatesEachItemFourTimes()
    {
        var bench = new SceneBench(new SceneOptions { CircularMultipleChoice = true });
        foreach (var e in bench.Split(SceneSplit.Test, 20))
            foreach (var suite in new[] { SceneSuite.MmBench, SceneSuite.MmBenchCn })
                foreach (var g in e.ItemsOf(suite).GroupBy(i => i.Group))
                {
                    var rotations = g.ToArray();
                    Assert.Equal(4, rotations.Length);
                    Assert.Single(rotations.Select(r => r.Options[r.AnswerIndex]).Distinct());
                    Assert.Equal(4, rotations.Select(r => r.Answer).Distinct().Count());
                }
    }

    [Fact]
    public void SuiteNamesMatchThePaper()
    {
        Assert.Equal(["GQA", "MMBench", "MMBench-CN", "MME", "POPE", "SQA", "VQAv2", "TextVQA", "SEED", "VizWiz"], SceneSuites.All.Select(s => s.DisplayName()));
        Assert.Equal(SceneSuite.MmBenchCn, SceneSuites.Parse("mmbench-cn"));
        Assert.Equal(SceneSuite.TextVqa, SceneSuites.Parse("TextVqa"));
        Assert.Contains("known: GQA", Assert.Throws<ArgumentException>(() => SceneSuites.Parse("OKVQA")).Message);
    }

    [Fact]
    public void TextbookStatesTheKnowledgeTheAnswersUse()
    {
        string Listed(string ending) => SceneTextbook.Facts.Single(f => f.EndsWith(ending, StringComparison.Ordinal));
        string[] Words(string fact) => fact.Replace(",", "").Replace(".", "").Split(' ');
        Assert.Equal(SceneAttributes.Colors.Where(c => c.IsWarm()).Select(c => c.Word()), Words(Listed("are warm colors.")).Intersect(SceneAttributes.Colors.Select(c => c.Word())));
        Assert.Equal(SceneAttributes.Colors.Where(c => !c.IsWarm()).Select(c => c.Word()), Words(Listed("are cool colors.")).Intersect(SceneAttributes.Colors.Select(c => c.Word())));
        Assert.Equal(SceneAttributes.Shapes.Where(s => s.CanRoll()).Select(s => s.Plural()), Words(Listed("so they can roll.")).Intersect(SceneAttributes.Shapes.Select(s => s.Plural())));
        Assert.Equal(SceneAttributes.Shapes.Where(s => !s.CanRoll()).Select(s => s.Plural()), Words(Listed("so they cannot roll.")).Intersect(SceneAttributes.Shapes.Select(s => s.Plural())));
        Assert.Equal(["0", "2", "4", "6", "8"], Words(Listed("are even numbers.")).Where(w => w.Length == 1 && char.IsDigit(w[0])));
        Assert.Equal([SceneShape.Ring], SceneAttributes.Shapes.Where(s => s.HasHole()));
    }
}
