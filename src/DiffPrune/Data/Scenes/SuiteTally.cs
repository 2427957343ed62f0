namespace DiffPrune.Data.Scenes;

/// <summary>
/// Each suite's score as a function of counts that add up over scenes: one scene's items give a tally vector
/// (<see cref="Of"/>), and <see cref="Value"/> of the element-wise sum of any scenes' tallies (each weighted by how
/// often the scene is drawn) is exactly what <see cref="SuiteScoring.Score"/> gives on those scenes' items, every copy
/// of a scene counted as a scene of its own. A bootstrap over scenes is then a weighted sum per resample.
/// Layout of a tally (the <see cref="SuiteScoring"/> score it feeds):
/// <list type="bullet">
/// <item>exact match: [right, items] (accuracy);</item>
/// <item>multiple choice: [right, items, groups all right, groups, items in a group] (circular accuracy on MMBench and MMBench-CN when some item is grouped, else accuracy);</item>
/// <item>MME: per <see cref="QuestionSkill"/> [right, items, pairs both right, pairs] (100 · accuracy + 100 · accuracy+ over the skills present, / 200 per skill);</item>
/// <item>POPE: per <see cref="Scenes.PopeSplit"/> [tp, fp, tn, fn] (mean F1 over the splits present, yes = positive).</item>
/// </list>
/// </summary>
public static class SuiteTally
{
    static readonly int Skills = Enum.GetValues<QuestionSkill>().Length;
    static readonly int Splits = Enum.GetValues<PopeSplit>().Length;

    /// <summary>Entries of a tally of <paramref name="suite"/>.</summary>
    public static int Length(SceneSuite suite) => suite switch
    {
        SceneSuite.Mme => 4 * Skills,
        SceneSuite.Pope => 4 * Splits,
        SceneSuite.MmBench or SceneSuite.MmBenchCn or SceneSuite.Sqa or SceneSuite.Seed => 5,
        _ => 2,
    };

    /// <summary>The tally of one scene's items of <paramref name="suite"/> and their predictions (same order; none gives zeros).</summary>
    /// <exception cref="ArgumentException">Counts differ, an item of another suite, or a POPE item without a split.</exception>
    public static double[] Of(SceneSuite suite, IReadOnlyList<SceneQuestion> items, IReadOnlyList<string> predictions)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(predictions);
        if (items.Count != predictions.Count)
            throw new ArgumentException($"{suite.DisplayName()}: {items.Count} items but {predictions.Count} predictions", nameof(predictions));
        for (int i = 0; i < items.Count; i++)
            if (items[i].Suite != suite)
                throw new ArgumentException($"item {i} belongs to {items[i].Suite.DisplayName()}, not {suite.DisplayName()}", nameof(items));
        var tally = new double[Length(suite)];
        var right = Enumerable.Range(0, items.Count).Select(i => SuiteScoring.IsCorrect(items[i], predictions[i] ?? "")).ToArray();
        switch (suite)
        {
            case SceneSuite.Mme: Mme(tally, items, right); break;
            case SceneSuite.Pope: Pope(tally, items, predictions); break;
            case SceneSuite.MmBench or SceneSuite.MmBenchCn or SceneSuite.Sqa or SceneSuite.Seed: MultipleChoice(tally, items, right); break;
            default:
                tally[0] = right.Count(r => r);
                tally[1] = items.Count;
                break;
        }
        return tally;
    }

    /// <summary>The suite's score (0..1, as <see cref="SuiteScore.Value"/>) from summed tallies; NaN when they count no item.</summary>
    /// <exception cref="ArgumentException">A tally of the wrong length.</exception>
    public static double Value(SceneSuite suite, ReadOnlySpan<double> totals)
    {
        if (totals.Length != Length(suite))
            throw new ArgumentException($"{suite.DisplayName()} tallies have {Length(suite)} entries, got {totals.Length}", nameof(totals));
        return suite switch
        {
            SceneSuite.Mme => MmeValue(totals),
            SceneSuite.Pope => PopeValue(totals),
            SceneSuite.MmBench or SceneSuite.MmBenchCn when totals[4] > 0 => totals[2] / totals[3],
            _ => totals[1] > 0 ? totals[0] / totals[1] : double.NaN,
        };
    }

    static void MultipleChoice(double[] tally, IReadOnlyList<SceneQuestion> items, bool[] right)
    {
        tally[0] = right.Count(r => r);
        tally[1] = items.Count;
        // ungrouped items are groups of one, as in SuiteScoring's circular evaluation
        var groups = Enumerable.Range(0, items.Count).GroupBy(i => items[i].Group < 0 ? (items[i].SceneSeed, -1 - i) : (items[i].SceneSeed, items[i].Group)).ToArray();
        tally[2] = groups.Count(g => g.All(i => right[i]));
        tally[3] = groups.Length;
        tally[4] = items.Count(i => i.Group >= 0);
    }

    static void Mme(double[] tally, IReadOnlyList<SceneQuestion> items, bool[] right)
    {
        foreach (var skill in Enumerable.Range(0, items.Count).GroupBy(i => items[i].Skill))
        {
            int at = 4 * (int)skill.Key;
            tally[at] = skill.Count(i => right[i]);
            tally[at + 1] = skill.Count();
            var pairs = skill.GroupBy(i => (items[i].SceneSeed, items[i].Group)).ToArray();
            tally[at + 2] = pairs.Count(p => p.All(i => right[i]));
            tally[at + 3] = pairs.Length;
        }
    }

    static void Pope(double[] tally, IReadOnlyList<SceneQuestion> items, IReadOnlyList<string> predictions)
    {
        for (int i = 0; i < items.Count; i++)
        {
            var split = items[i].PopeSplit ?? throw new ArgumentException($"POPE item '{items[i].Question}' has no split", nameof(items));
            bool truth = items[i].Answer == "yes", said = AnswerNormalizer.IsYes(predictions[i]);
            tally[4 * (int)split + (truth && said ? 0 : !truth && said ? 1 : !truth ? 2 : 3)]++;
        }
    }

    // the same arithmetic, in the same order, as SuiteScoring.Mme: equal to the last bit on unweighted scenes
    static double MmeValue(ReadOnlySpan<double> t)
    {
        double total = 0;
        int present = 0;
        for (int s = 0; s < Skills; s++)
        {
            if (!(t[4 * s + 1] > 0)) continue;
            total += 100 * (t[4 * s] / t[4 * s + 1]) + 100 * (t[4 * s + 2] / t[4 * s + 3]);
            present++;
        }
        return present == 0 ? double.NaN : total / (200.0 * present);
    }

    static double PopeValue(ReadOnlySpan<double> t)
    {
        double f1Sum = 0;
        int present = 0;
        for (int s = 0; s < Splits; s++)
        {
            double tp = t[4 * s], fp = t[4 * s + 1], tn = t[4 * s + 2], fn = t[4 * s + 3];
            if (!(tp + fp + tn + fn > 0)) continue;
            double precision = tp + fp == 0 ? 0 : tp / (tp + fp);
            double recall = tp + fn == 0 ? 0 : tp / (tp + fn);
            f1Sum += precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            present++;
        }
        return present == 0 ? double.NaN : f1Sum / present;
    }
}
