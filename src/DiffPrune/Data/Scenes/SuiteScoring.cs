using System.Globalization;

namespace DiffPrune.Data.Scenes;

/// <summary>
/// Each suite's standard score from items and predictions (one prediction per item, same order):
/// <list type="bullet">
/// <item>GQA, VQAv2, TextVQA, VizWiz: exact-match accuracy after <see cref="AnswerNormalizer.Normalize"/> ("unanswerable" is an ordinary answer).</item>
/// <item>MMBench, MMBench-CN: accuracy over groups of rotations, a group right only if every rotation is (plain accuracy without rotations).</item>
/// <item>SQA, SEED: multiple-choice accuracy (<see cref="AnswerNormalizer.Choice"/>).</item>
/// <item>MME: per subtask, 100 · accuracy + 100 · accuracy+ (both items of a pair right), max 200; the total is their sum, the value total / (200 · subtasks).</item>
/// <item>POPE: per split accuracy, precision, recall, F1 (yes = positive) and yes-ratio; the value is the mean F1 over splits.</item>
/// </list>
/// </summary>
public static class SuiteScoring
{
    /// <summary>Scores <paramref name="predictions"/> against <paramref name="items"/> of <paramref name="suite"/>.</summary>
    /// <exception cref="ArgumentException">Counts differ, no items, or an item of another suite.</exception>
    public static SuiteScore Score(SceneSuite suite, IReadOnlyList<SceneQuestion> items, IReadOnlyList<string> predictions)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(predictions);
        if (items.Count != predictions.Count)
            throw new ArgumentException($"{suite.DisplayName()}: {items.Count} items but {predictions.Count} predictions", nameof(predictions));
        if (items.Count == 0) throw new ArgumentException($"{suite.DisplayName()}: no items to score", nameof(items));
        for (int i = 0; i < items.Count; i++)
            if (items[i].Suite != suite)
                throw new ArgumentException($"item {i} belongs to {items[i].Suite.DisplayName()}, not {suite.DisplayName()}", nameof(items));
        return suite switch
        {
            SceneSuite.Gqa or SceneSuite.VqaV2 or SceneSuite.TextVqa or SceneSuite.VizWiz => ExactMatch(suite, items, predictions),
            SceneSuite.MmBench or SceneSuite.MmBenchCn or SceneSuite.Sqa or SceneSuite.Seed => MultipleChoice(suite, items, predictions),
            SceneSuite.Mme => Mme(items, predictions),
            SceneSuite.Pope => Pope(items, predictions),
            _ => throw new ArgumentOutOfRangeException(nameof(suite), $"unknown suite {suite}"),
        };
    }

    /// <summary>Whether one prediction is right for its item (letters for multiple choice, yes/no's first word, else normalised match).</summary>
    public static bool IsCorrect(SceneQuestion item, string prediction)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item.Options.Count > 0) return AnswerNormalizer.Choice(prediction, item.Options) == item.AnswerIndex;
        if (item.Suite is SceneSuite.Pope or SceneSuite.Mme)
            return item.Answer == "yes" ? AnswerNormalizer.IsYes(prediction) : AnswerNormalizer.IsNo(prediction);
        return AnswerNormalizer.Matches(prediction, item.Answer);
    }

    static SuiteScore ExactMatch(SceneSuite suite, IReadOnlyList<SceneQuestion> items, IReadOnlyList<string> predictions)
    {
        var correct = Correct(items, predictions);
        var details = new Dictionary<string, double> { ["accuracy"] = correct.Average(c => c ? 1.0 : 0.0) };
        foreach (var skill in items.Select(i => i.Skill).Distinct().Order())
            details[$"accuracy/{skill.ToString().ToLowerInvariant()}"] = Enumerable.Range(0, items.Count).Where(i => items[i].Skill == skill).Average(i => correct[i] ? 1.0 : 0.0);
        if (suite == SceneSuite.VizWiz)
        {
            var unanswerable = Enumerable.Range(0, items.Count).Where(i => items[i].Unanswerable != UnanswerableReason.None).ToArray();
            if (unanswerable.Length > 0) details["accuracy/unanswerable"] = unanswerable.Average(i => correct[i] ? 1.0 : 0.0);
        }
        return Percent(suite, details["accuracy"], items.Count, details);
    }

    static SuiteScore MultipleChoice(SceneSuite suite, IReadOnlyList<SceneQuestion> items, IReadOnlyList<string> predictions)
    {
        var correct = Correct(items, predictions);
        double accuracy = correct.Average(c => c ? 1.0 : 0.0);
        var details = new Dictionary<string, double> { ["accuracy"] = accuracy };
        double value = accuracy;
        if (suite is SceneSuite.MmBench or SceneSuite.MmBenchCn && items.Any(i => i.Group >= 0))
        {
            // circular evaluation: ungrouped items are groups of one
            var groups = Enumerable.Range(0, items.Count).GroupBy(i => items[i].Group < 0 ? (items[i].SceneSeed, -1 - i) : (items[i].SceneSeed, items[i].Group));
            value = details["circular"] = groups.Average(g => g.All(i => correct[i]) ? 1.0 : 0.0);
        }
        return Percent(suite, value, items.Count, details);
    }

    static SuiteScore Mme(IReadOnlyList<SceneQuestion> items, IReadOnlyList<string> predictions)
    {
        var correct = Correct(items, predictions);
        var details = new Dictionary<string, double>();
        double total = 0;
        var skills = items.Select(i => i.Skill).Distinct().Order().ToArray();
        foreach (var skill in skills)
        {
            var idx = Enumerable.Range(0, items.Count).Where(i => items[i].Skill == skill).ToArray();
            double accuracy = idx.Average(i => correct[i] ? 1.0 : 0.0);
            double accuracyPlus = idx.GroupBy(i => (items[i].SceneSeed, items[i].Group)).Average(g => g.All(i => correct[i]) ? 1.0 : 0.0);
            string name = skill.ToString().ToLowerInvariant();
            details[name] = 100 * accuracy + 100 * accuracyPlus;
            details[$"{name}/accuracy"] = accuracy;
            details[$"{name}/accuracy+"] = accuracyPlus;
            total += details[name];
        }
        details["total"] = total;
        double value = total / (200.0 * skills.Length);
        return new SuiteScore(SceneSuite.Mme, value, total.ToString("F1", CultureInfo.InvariantCulture), items.Count, details);
    }

    static SuiteScore Pope(IReadOnlyList<SceneQuestion> items, IReadOnlyList<string> predictions)
    {
        var details = new Dictionary<string, double>();
        var splits = items.Select(i => i.PopeSplit ?? throw new ArgumentException($"POPE item '{i.Question}' has no split", nameof(items))).Distinct().Order().ToArray();
        double f1Sum = 0;
        foreach (var split in splits)
        {
            int tp = 0, fp = 0, tn = 0, fn = 0;
            for (int i = 0; i < items.Count; i++)
            {
                if (items[i].PopeSplit != split) continue;
                bool truth = items[i].Answer == "yes", said = AnswerNormalizer.IsYes(predictions[i]);
                if (truth && said) tp++; else if (!truth && said) fp++; else if (!truth) tn++; else fn++;
            }
            double precision = tp + fp == 0 ? 0 : (double)tp / (tp + fp);
            double recall = tp + fn == 0 ? 0 : (double)tp / (tp + fn);
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            string name = split.ToString().ToLowerInvariant();
            details[$"accuracy/{name}"] = (double)(tp + tn) / (tp + fp + tn + fn);
            details[$"precision/{name}"] = precision;
            details[$"recall/{name}"] = recall;
            details[$"f1/{name}"] = f1;
            details[$"yes-ratio/{name}"] = (double)(tp + fp) / (tp + fp + tn + fn);
            f1Sum += f1;
        }
        details["accuracy"] = Enumerable.Range(0, items.Count).Average(i => IsCorrect(items[i], predictions[i]) ? 1.0 : 0.0);
        details["f1"] = f1Sum / splits.Length;
        return Percent(SceneSuite.Pope, details["f1"], items.Count, details);
    }

    static bool[] Correct(IReadOnlyList<SceneQuestion> items, IReadOnlyList<string> predictions) =>
        Enumerable.Range(0, items.Count).Select(i => IsCorrect(items[i], predictions[i] ?? "")).ToArray();

    static SuiteScore Percent(SceneSuite suite, double value, int count, Dictionary<string, double> details) =>
        new(suite, value, (100 * value).ToString("F1", CultureInfo.InvariantCulture), count, details);
}
