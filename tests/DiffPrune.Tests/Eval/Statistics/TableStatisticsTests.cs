using System.Text.Json;
using DiffPrune.Data.Scenes;
using DiffPrune.Eval;
using DiffPrune.Eval.Reports;
using DiffPrune.Eval.Statistics;

namespace DiffPrune.Tests.Eval.Statistics;

public class TableStatisticsTests
{
    static IReadOnlyList<SuiteScore> Scores(SceneOutcome[] outcomes)
    {
        var items = outcomes.SelectMany(o => o.Items).ToArray();
        var predictions = outcomes.SelectMany(o => o.Predictions).ToArray();
        return SceneSuites.All.Select(s =>
        {
            var idx = Enumerable.Range(0, items.Length).Where(i => items[i].Suite == s).ToArray();
            return SuiteScoring.Score(s, idx.Select(i => items[i]).ToArray(), idx.Select(i => predictions[i]).ToArray());
        }).ToArray();
    }

    static EvaluationRow Row(string method, int keep, SceneOutcome[] outcomes, IReadOnlyList<SuiteScore>? vanilla)
    {
        var scores = Scores(outcomes);
        return new EvaluationRow(method, "Pre", keep, scores, EvaluationTable.Retention(scores, vanilla ?? scores), 0) { Outcomes = outcomes };
    }

    /// <summary>
    /// Vanilla, then at K = 16 Random (weak), DivPrune and DiffPrune, the last two answering alike but for one
    /// question: a tie; and the same rows without DiffPrune when <paramref name="withDiffPrune"/> is false.
    /// </summary>
    static EvaluationTable Table(bool withDiffPrune)
    {
        var examples = SyntheticOutcomes.Examples;
        var vanillaOutcomes = SyntheticOutcomes.Random(examples, _ => 0.9, 1);
        var vanilla = Row("Vanilla", 144, vanillaOutcomes, null);
        var strong = SyntheticOutcomes.Random(examples, s => 0.8, 2);
        var almost = strong.Select((o, s) => s != 0 ? o : o with { Predictions = o.Predictions.Select((p, i) => i == 0 ? SyntheticOutcomes.Wrong(o.Items[0]) : p).ToArray() }).ToArray();
        var rows = new List<EvaluationRow> { Row("Random", 16, SyntheticOutcomes.Random(examples, _ => 0.25, 3), vanilla.Scores), Row("DivPrune", 16, strong, vanilla.Scores) };
        if (withDiffPrune) rows.Add(Row("DiffPrune (trained K = 16)", 16, almost, vanilla.Scores));
        return new EvaluationTable("synthetic", 144, examples.Length, examples.Sum(e => e.Items.Count), vanilla, [new EvaluationBlock(1.0 / 9, 16, rows)]);
    }

    [Fact]
    public void EveryRowGetsItsIntervalAndItsPairedDifferenceToDiffPrune()
    {
        var before = Table(withDiffPrune: true);
        var table = TableStatistics.Apply(before, resamples: 1000, seed: 3);
        Assert.Equal(PairingRule.DiffPrune, table.Statistics!.Pairing);
        Assert.Equal(1000, table.Statistics.Resamples);
        var rows = table.Blocks[0].Rows;
        // point values are untouched; every interval holds its point
        Assert.Equal(before.Blocks[0].Rows.Select(r => r.Retention), rows.Select(r => r.Retention));
        Assert.Equal(before.Blocks[0].Rows.Select(r => r.Scores), rows.Select(r => r.Scores));
        Assert.All(rows.Append(table.Vanilla), r => Assert.True(r.RetentionInterval!.Value.Contains(r.Retention!.Value), $"{r.Method}: {r.RetentionInterval} vs {r.Retention}"));
        Assert.Equal(new ConfidenceInterval(1, 1), table.Vanilla.RetentionInterval);
        var (random, divPrune, diffPrune) = (rows[0], rows[1], rows[2]);
        Assert.True(diffPrune.IsReference);
        Assert.Equal(new ConfidenceInterval(0, 0), diffPrune.Difference!.Interval);
        Assert.All(rows, r => Assert.Equal("DiffPrune (trained K = 16)", r.Difference!.Reference));
        Assert.Equal(random.Retention!.Value - diffPrune.Retention!.Value, random.Difference!.Value, 12);
        Assert.Equal(ComparisonVerdict.Lower, random.Difference.Verdict);
        Assert.True(divPrune.Difference!.Value > 0);
        Assert.Equal(ComparisonVerdict.Tie, divPrune.Difference.Verdict);
        // the same seed gives the same intervals
        Assert.Equal(rows.Select(r => r.RetentionInterval), TableStatistics.Apply(before, 1000, 3).Blocks[0].Rows.Select(r => r.RetentionInterval));
    }

    [Fact]
    public void ReportsPrintIntervalsAndTiesInTablesAndText()
    {
        var table = TableStatistics.Apply(Table(withDiffPrune: true), resamples: 500);
        var md = EvaluationReport.Markdown(table);
        var lines = md.Split('\n');
        Assert.Contains("| Avg. | 95 % CI | Δ vs DiffPrune [95 % CI] |", md);
        var divPrune = lines.Single(l => l.StartsWith("| DivPrune |", StringComparison.Ordinal));
        Assert.EndsWith(" tie |", divPrune);
        Assert.EndsWith(" reference |", lines.Single(l => l.StartsWith("| DiffPrune", StringComparison.Ordinal)));
        Assert.EndsWith(" lower |", lines.Single(l => l.StartsWith("| Random |", StringComparison.Ordinal)));
        Assert.All(lines.Where(l => l.StartsWith('|')), l => Assert.Equal(16, l.Count(c => c == '|')));
        var reading = lines.Single(l => l.StartsWith("- K = 16:", StringComparison.Ordinal));
        Assert.Contains("reference DiffPrune (trained K = 16)", reading);
        Assert.Contains("; tie: DivPrune +", reading);
        Assert.Contains("; lower: Random -", reading);
        Assert.Contains("(500 resamples, seed 0)", md);

        var csv = EvaluationReport.Csv(table).TrimEnd('\n').Split('\n');
        Assert.EndsWith(",DiffPrune (trained K = 16),0.0,0.0,0.0,reference,,,,,", csv[^1]);    // no kept counts, no threshold, no FLOPs
        Assert.EndsWith(",tie,,,,,", csv[^2]);
        Assert.EndsWith(",lower,,,,,", csv[^3]);

        using var json = JsonDocument.Parse(EvaluationReport.Json(table));
        Assert.Equal("DiffPrune", json.RootElement.GetProperty("statistics").GetProperty("pairing").GetString());
        var row = json.RootElement.GetProperty("blocks")[0].GetProperty("rows")[1];
        Assert.Equal("Tie", row.GetProperty("difference").GetProperty("verdict").GetString());
        Assert.Equal(table.Blocks[0].Rows[1].RetentionInterval!.Value.Lo, row.GetProperty("retentionInterval").GetProperty("lo").GetDouble());
    }

    [Fact]
    public void AThresholdRowIsPairedWithItsPrunersTopKRowAtTheSameBudget()
    {
        var table = Table(withDiffPrune: false);
        var block = table.Blocks[0];
        var topK = block.Rows[1] with { Method = "DiffPrune" };
        var threshold = block.Rows[0] with { Method = MethodSelection.ThresholdLabel("DiffPrune") };
        var rows = TableStatistics.Apply(table with { Blocks = [block with { Rows = [topK, threshold] }] }, resamples: 300).Blocks[0].Rows;
        Assert.True(rows[0].IsReference);
        Assert.Equal("DiffPrune", rows[1].Difference!.Reference);
        Assert.Equal(threshold.Retention!.Value - topK.Retention!.Value, rows[1].Difference!.Value, 12);
        Assert.Equal("DiffPrune (threshold, trained K = 16)", MethodSelection.ThresholdLabel("DiffPrune (trained K = 16)"));
    }

    [Fact]
    public void WithoutDiffPruneTheBestMethodAtTheBudgetIsTheReference()
    {
        var table = TableStatistics.Apply(Table(withDiffPrune: false), resamples: 500);
        Assert.Equal(PairingRule.BestAtBudget, table.Statistics!.Pairing);
        Assert.All(table.Blocks[0].Rows, r => Assert.Equal("DivPrune", r.Difference!.Reference));
        Assert.Contains("Δ vs best [95 % CI]", EvaluationReport.Markdown(table));
        Assert.Contains("no DiffPrune pruner in this evaluation", EvaluationReport.Markdown(table));
    }

    /// <summary>
    /// Two budgets with LLM FLOPs: at K = 32 DiffPrune (0.3 of Vanilla's FLOPs) is strong; at K = 8 DiffPrune (0.15) is weak,
    /// FastV (0.45) beats it, DART (0.45) is behind it and DivPrune (0.15) ties it at no more cost.
    /// </summary>
    static EvaluationTable CostTable()
    {
        var examples = SyntheticOutcomes.Examples;
        var vanilla = Row("Vanilla", 144, SyntheticOutcomes.Random(examples, _ => 0.9, 1), null) with { PrefillFlops = 100 };
        EvaluationRow Method(string name, int keep, double skill, ulong seed, double flops) =>
            Row(name, keep, SyntheticOutcomes.Random(examples, _ => skill, seed), vanilla.Scores) with { PrefillFlops = flops };
        var wide = new EvaluationBlock(2.0 / 9, 32, [Method("DiffPrune", 32, 0.88, 2, 30)]);
        var deep = new EvaluationBlock(1.0 / 18, 8, [Method("FastV", 8, 0.7, 3, 45), Method("DART", 8, 0.05, 4, 45),
            Method("DivPrune", 8, 0.5, 5, 15), Method("DiffPrune", 8, 0.5, 5, 15)]);
        return new EvaluationTable("synthetic", 144, examples.Length, examples.Sum(e => e.Items.Count), vanilla, [wide, deep]);
    }

    [Fact]
    public void AMethodAheadAtItsBudgetButCostlierIsComparedWithTheBestReferenceThatCostsNoMore()
    {
        var table = TableStatistics.Apply(CostTable(), resamples: 500, seed: 1);
        var deep = table.Blocks[1].Rows;
        Assert.Equal(ComparisonVerdict.Higher, deep[0].Difference!.Verdict);     // FastV beats DiffPrune at K = 8
        Assert.Equal(ComparisonVerdict.Lower, deep[1].Difference!.Verdict);      // DART does not: no cost-matched line
        Assert.Equal(ComparisonVerdict.Tie, deep[2].Difference!.Verdict);        // DivPrune ties, but costs no more: none either
        var matched = Assert.Single(table.CostMatched);
        Assert.Equal(("FastV", 8), (matched.Method.Method, matched.Method.Keep));
        Assert.Same(table.Blocks[0].Rows[0], matched.Reference);                 // K = 32 costs 30 ≤ 45 and retains more than K = 8
        Assert.Equal(deep[0].Retention!.Value - matched.Reference.Retention!.Value, matched.Difference.Value, 12);
        Assert.Equal(ComparisonVerdict.Lower, matched.Difference.Verdict);

        var md = EvaluationReport.Markdown(table);
        Assert.Contains("| LLM FLOPs |", md);
        Assert.EndsWith(" 45.0 % |", md.Split('\n').Single(l => l.StartsWith("| FastV |", StringComparison.Ordinal)));
        var line = md.Split('\n').Single(l => l.StartsWith("- FastV at K = 8 (45.0 % of Vanilla's LLM FLOPs)", StringComparison.Ordinal));
        Assert.Contains("DiffPrune at K = 32 (30.0 %)", line);
        Assert.EndsWith(" lower.", line);
        Assert.EndsWith(",45.0", EvaluationReport.Csv(table).TrimEnd('\n').Split('\n')[3]);    // header, Vanilla, DiffPrune at K = 32, FastV

        // without FLOPs nothing is cost-matched and the column is absent
        var bare = CostTable();
        bare = bare with { Vanilla = bare.Vanilla with { PrefillFlops = null } };
        var plain = TableStatistics.Apply(bare, resamples: 200);
        Assert.Empty(plain.CostMatched);
        Assert.DoesNotContain("LLM FLOPs", EvaluationReport.Markdown(plain));
    }

    [Fact]
    public void ATableWithoutPerSceneAnswersIsLeftAsItIs()
    {
        var table = Table(withDiffPrune: true);
        var bare = table with { Vanilla = table.Vanilla with { Outcomes = null } };
        Assert.Same(bare, TableStatistics.Apply(bare));
        Assert.DoesNotContain("95 % CI", EvaluationReport.Markdown(bare));
    }
}
