using DiffPrune.Data.Scenes;

namespace DiffPrune.Tests.Data.Scenes;

public class SuiteScoringTests
{
    static SceneQuestion Open(SceneSuite suite, string answer, QuestionSkill skill = QuestionSkill.Color, int group = -1, long seed = 0, PopeSplit? split = null) =>
        new() { Suite = suite, SceneSeed = seed, Question = "q", Answer = answer, Skill = skill, Group = group, PopeSplit = split };

    static SceneQuestion Choice(SceneSuite suite, string[] options, int answer, int group = -1, OptionStyle style = OptionStyle.Dotted) =>
        new() { Suite = suite, SceneSeed = 0, Question = "q", Answer = SceneQuestion.Letters[answer], Skill = QuestionSkill.Color, Options = options, Group = group, OptionStyle = style };

    [Fact]
    public void ExactMatchNormalisesLikeVqa()
    {
        var items = new[] { Open(SceneSuite.VqaV2, "top left"), Open(SceneSuite.VqaV2, "3", QuestionSkill.Count), Open(SceneSuite.VqaV2, "red"), Open(SceneSuite.VqaV2, "blue") };
        var score = SuiteScoring.Score(SceneSuite.VqaV2, items, ["The Top-Left.", "three", " RED ", "green"]);
        Assert.Equal(0.75, score.Value, 12);
        Assert.Equal("75.0", score.Display);
        Assert.Equal(1.0, score.Details["accuracy/count"]);
        Assert.Equal(2.0 / 3, score.Details["accuracy/color"], 12);
        Assert.Equal("top left", AnswerNormalizer.Normalize("the  top, left!"));
    }

    [Fact]
    public void VizWizCountsUnanswerableAsAnAnswer()
    {
        var items = new[] { Open(SceneSuite.VizWiz, "unanswerable") with { Unanswerable = UnanswerableReason.Absent }, Open(SceneSuite.VizWiz, "red") };
        var score = SuiteScoring.Score(SceneSuite.VizWiz, items, ["unanswerable", "unanswerable"]);
        Assert.Equal(0.5, score.Value);
        Assert.Equal(1.0, score.Details["accuracy/unanswerable"]);
    }

    [Fact]
    public void MultipleChoiceReadsLettersOrOptionText()
    {
        string[] options = ["red", "blue", "green", "cyan"];
        var items = Enumerable.Range(0, 8).Select(_ => Choice(SceneSuite.Seed, options, 1)).ToArray();
        var score = SuiteScoring.Score(SceneSuite.Seed, items, ["B", "b", "B.", "(B)", "B) blue", "blue", "b red", "A"]);
        Assert.Equal(6 / 8.0, score.Value, 12);
        Assert.Equal(-1, AnswerNormalizer.Choice("E", options));
        Assert.Equal(0, AnswerNormalizer.Choice("A red", options));
        Assert.Equal(0, AnswerNormalizer.Choice("a red", options));   // not a letter: the text "red" once the article is dropped
    }

    [Fact]
    public void MmBenchCircularGroupCountsOnlyWhenEveryRotationIsRight()
    {
        // group 0: rotations of (red, blue, green, cyan) with the answer "blue" at B, A, D, C
        string[] o = ["red", "blue", "green", "cyan"];
        var items = new[]
        {
            Choice(SceneSuite.MmBench, o, 1, group: 0), Choice(SceneSuite.MmBench, [o[1], o[2], o[3], o[0]], 0, group: 0),
            Choice(SceneSuite.MmBench, [o[2], o[3], o[0], o[1]], 3, group: 0), Choice(SceneSuite.MmBench, [o[3], o[0], o[1], o[2]], 2, group: 0),
            Choice(SceneSuite.MmBench, o, 0, group: 1), Choice(SceneSuite.MmBench, [o[1], o[2], o[3], o[0]], 3, group: 1),
            Choice(SceneSuite.MmBench, [o[2], o[3], o[0], o[1]], 2, group: 1), Choice(SceneSuite.MmBench, [o[3], o[0], o[1], o[2]], 1, group: 1),
        };
        // group 0 all right; group 1 right three times of four
        var score = SuiteScoring.Score(SceneSuite.MmBench, items, ["B", "A", "D", "C", "A", "D", "C", "A"]);
        Assert.Equal(7 / 8.0, score.Details["accuracy"], 12);
        Assert.Equal(0.5, score.Value, 12);
        Assert.Equal(0.5, score.Details["circular"], 12);
    }

    [Fact]
    public void MmeScoresAccuracyPlusAccuracyPlusPerSubtask()
    {
        // existence: pairs (right, right) and (right, wrong): acc 3/4, acc+ 1/2 → 75 + 50 = 125
        // count: one pair, both wrong: 0
        var items = new[]
        {
            Open(SceneSuite.Mme, "yes", QuestionSkill.Existence, 0), Open(SceneSuite.Mme, "no", QuestionSkill.Existence, 0),
            Open(SceneSuite.Mme, "yes", QuestionSkill.Existence, 1), Open(SceneSuite.Mme, "no", QuestionSkill.Existence, 1),
            Open(SceneSuite.Mme, "yes", QuestionSkill.Count, 0, seed: 5), Open(SceneSuite.Mme, "no", QuestionSkill.Count, 0, seed: 5),
        };
        var score = SuiteScoring.Score(SceneSuite.Mme, items, ["Yes.", "no", "yes", "yes", "no", "yes"]);
        Assert.Equal(125, score.Details["existence"], 9);
        Assert.Equal(0.75, score.Details["existence/accuracy"], 12);
        Assert.Equal(0.5, score.Details["existence/accuracy+"], 12);
        Assert.Equal(0, score.Details["count"], 12);
        Assert.Equal(125, score.Details["total"], 9);
        Assert.Equal("125.0", score.Display);
        Assert.Equal(125 / 400.0, score.Value, 12);
    }

    [Fact]
    public void MmePairsAreTheSameGroupOnlyWithinAScene()
    {
        // group 0 of two scenes: each pair fully right
        var items = new[]
        {
            Open(SceneSuite.Mme, "yes", QuestionSkill.Color, 0, seed: 1), Open(SceneSuite.Mme, "no", QuestionSkill.Color, 0, seed: 1),
            Open(SceneSuite.Mme, "yes", QuestionSkill.Color, 0, seed: 2), Open(SceneSuite.Mme, "no", QuestionSkill.Color, 0, seed: 2),
        };
        var score = SuiteScoring.Score(SceneSuite.Mme, items, ["yes", "no", "no", "no"]);
        Assert.Equal(0.5, score.Details["color/accuracy+"], 12);
    }

    [Fact]
    public void PopeF1PerSplitAndAveraged()
    {
        // random: TP 2, FN 0, FP 1, TN 1 → P 2/3, R 1, F1 0.8; adversarial: all right → F1 1
        var items = new[]
        {
            Open(SceneSuite.Pope, "yes", split: PopeSplit.Random), Open(SceneSuite.Pope, "yes", split: PopeSplit.Random),
            Open(SceneSuite.Pope, "no", split: PopeSplit.Random), Open(SceneSuite.Pope, "no", split: PopeSplit.Random),
            Open(SceneSuite.Pope, "yes", split: PopeSplit.Adversarial), Open(SceneSuite.Pope, "no", split: PopeSplit.Adversarial),
        };
        var score = SuiteScoring.Score(SceneSuite.Pope, items, ["yes", "Yes, there is.", "yes", "no", "yes", "no"]);
        Assert.Equal(0.8, score.Details["f1/random"], 12);
        Assert.Equal(0.75, score.Details["accuracy/random"], 12);
        Assert.Equal(0.75, score.Details["yes-ratio/random"], 12);
        Assert.Equal(1.0, score.Details["f1/adversarial"], 12);
        Assert.Equal(0.9, score.Value, 12);
        Assert.Equal("90.0", score.Display);
    }

    [Fact]
    public void PerfectPredictionsScoreOneOnEverySuite()
    {
        foreach (var suite in SceneSuites.All)
        {
            var items = SceneSamples.Items(suite).Take(300).Select(x => x.Item).ToArray();
            var score = SuiteScoring.Score(suite, items, items.Select(i => i.Answer).ToArray());
            Assert.Equal(1.0, score.Value, 12);
            var wrong = SuiteScoring.Score(suite, items, items.Select(_ => "purple elephant").ToArray());
            Assert.True(wrong.Value < 0.5, $"{suite.DisplayName()}: nonsense scores {wrong.Display}");
        }
    }

    [Fact]
    public void AverageRetentionIsTheMeanOfPrunedOverUnpruned()
    {
        var unpruned = new Dictionary<SceneSuite, double> { [SceneSuite.Gqa] = 0.8, [SceneSuite.Mme] = 0.5 };
        var pruned = new Dictionary<SceneSuite, double> { [SceneSuite.Gqa] = 0.4, [SceneSuite.Mme] = 0.5, [SceneSuite.Pope] = 0.1 };
        Assert.Equal(0.75, SceneBench.AverageRetention(pruned, unpruned), 12);
        Assert.Contains("MME", Assert.Throws<ArgumentException>(() => SceneBench.AverageRetention(new Dictionary<SceneSuite, double> { [SceneSuite.Gqa] = 1 }, unpruned)).Message);
        Assert.Contains("positive", Assert.Throws<ArgumentException>(() => SceneBench.AverageRetention(pruned, new Dictionary<SceneSuite, double> { [SceneSuite.Gqa] = 0 })).Message);
    }

    [Fact]
    public void MismatchedInputsAreRejected()
    {
        var items = new[] { Open(SceneSuite.Gqa, "red") };
        Assert.Contains("1 items but 2 predictions", Assert.Throws<ArgumentException>(() => SuiteScoring.Score(SceneSuite.Gqa, items, ["a", "b"])).Message);
        Assert.Contains("not VQAv2", Assert.Throws<ArgumentException>(() => SuiteScoring.Score(SceneSuite.VqaV2, items, ["red"])).Message);
        Assert.Contains("no items", Assert.Throws<ArgumentException>(() => SuiteScoring.Score(SceneSuite.Gqa, [], [])).Message);
    }
}
