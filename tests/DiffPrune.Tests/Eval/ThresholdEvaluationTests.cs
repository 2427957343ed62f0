using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Eval;
using DiffPrune.Eval.Reports;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Tensors;
using DiffPrune.Tests.Data;
using DiffPrune.Tests.Models;

namespace DiffPrune.Tests.Eval;

public class ThresholdEvaluationTests
{
    static TokenPruner Pruner(CalibratedThreshold? threshold = null) =>
        new(new TokenScorer(16, new Generator(3), heads: 2), new TokenPrunerConfig(16, 2, 2, 16, threshold));

    [Fact]
    public void ThresholdRowsFollowTheTopKRowAndReportTheKTheTestImagesKept()
    {
        var tokenizer = WordTokenizer.ForSceneBench();
        var inference = new VlmInference(new LlavaModel(TinyModels.SceneLlava(), new Generator(5)));
        var examples = new SceneBench().Split(SceneSplit.Test, 1).ToList();
        using var dir = new TempDirectory();
        Pruner().Save(dir.Path);
        var pruners = DiffPrunePruners.Load([dir.Path]);
        var thresholds = new ValidationThresholds(inference, SceneOptions.Default, 8);
        var selection = MethodSelection.Parse("random", pruners, BudgetMode.Threshold);
        var evaluation = new TableEvaluation(inference, tokenizer, examples, selection, [2.0 / 9, 1.0 / 9], "tiny", thresholds: thresholds);
        Assert.Equal(["Vanilla", "Random", "DiffPrune (trained K = 16)", "DiffPrune (threshold, trained K = 16)", "Random", "DiffPrune", "DiffPrune (threshold)"],
            evaluation.Plan.Select(p => p.Method.Label));
        var table = evaluation.Run();
        var images = examples.SelectMany(e => e.Items.Select(q => q.Image ?? e.Scene.Image)).Distinct(ReferenceEqualityComparer.Instance).Cast<RgbImage>().ToArray();
        foreach (var block in table.Blocks)
        {
            var (random, topK, adaptive) = (block.Rows[0], block.Rows[1], block.Rows[2]);
            Assert.Equal(new KeptTokenStats(block.Keep, block.Keep, block.Keep, images.Length), topK.Kept);
            Assert.Equal(new KeptTokenStats(block.Keep, block.Keep, block.Keep, images.Length), random.Kept);
            // the threshold row counts what its pruner keeps of each test image, pruned here one by one
            var pruner = thresholds.At(pruners.At(block.Keep)[0].Pruner, block.Keep);
            var counts = images.Select(image => pruner.Prune(inference.Encode([image])).CountOf(0)).ToArray();
            Assert.Equal(KeptTokenStats.Of(counts), adaptive.Kept);
            Assert.Equal(pruner.Config.Threshold, adaptive.Threshold);
            Assert.Equal((block.Keep, 8), (adaptive.Threshold!.MeanKeep, adaptive.Threshold.Images));
            Assert.Equal(block.Keep, thresholds.Kept(pruner).Mean, 12);     // exactly K on the validation images
            Assert.Null(random.Threshold);
            // paired with the same pruner's top-K row at the same budget (when a random tiny model gives retentions at all)
            if (topK.Retention != null && adaptive.Retention != null) Assert.Equal(topK.Method, adaptive.Difference!.Reference);
        }
        var md = EvaluationReport.Markdown(table);
        var lines = md.Split('\n');
        Assert.Equal(DiffPrune.Eval.Statistics.PairingRule.DiffPrune, table.Statistics!.Pairing);
        Assert.Contains("| Avg. | 95 % CI | Δ vs DiffPrune [95 % CI] | K kept | LLM FLOPs |", md);
        var row = lines.Single(l => l.StartsWith("| DiffPrune (threshold) |", StringComparison.Ordinal));
        Assert.EndsWith($" | {EvaluationReport.KeptCell(table.Blocks[1].Rows[2].Kept)} | {EvaluationReport.FlopsCell(table, table.Blocks[1].Rows[2])} |", row);
        Assert.EndsWith(" | 16.0 [16–16] | " + EvaluationReport.FlopsCell(table, table.Blocks[1].Rows[1]) + " |", lines.Single(l => l.StartsWith("| DiffPrune |", StringComparison.Ordinal)));
        Assert.EndsWith(" | – | 100.0 % |", lines.Single(l => l.StartsWith("| Vanilla |", StringComparison.Ordinal)));
        Assert.Contains("calibrated on 8 validation images", md);
        Assert.All(lines.Where(l => l.StartsWith('|')), l => Assert.Equal(18, l.Count(c => c == '|')));
        var csv = EvaluationReport.Csv(table).TrimEnd('\n').Split('\n');
        var k = table.Blocks[1].Rows[2].Kept!;
        Assert.EndsWith(FormattableString.Invariant($",{k.Mean:F2},{k.Min},{k.Max},{table.Blocks[1].Rows[2].Threshold!.Value:R},{100 * EvaluationReport.FlopShare(table, table.Blocks[1].Rows[2]):F1}"), csv[^1]);
    }

    [Fact]
    public void AStoredThresholdForTheBudgetIsReusedAndOtherBudgetsAreCalibrated()
    {
        var inference = new VlmInference(new LlavaModel(TinyModels.SceneLlava(), new Generator(5)));
        var thresholds = new ValidationThresholds(inference, SceneOptions.Default, 6);
        var stored = Pruner(new CalibratedThreshold(0.125, 16, 100));
        Assert.Equal(stored.Config.Threshold, thresholds.At(stored, 16).Config.Threshold);
        var other = thresholds.At(stored, 20);
        Assert.Equal((20, 6, BudgetMode.Threshold), (other.Config.Threshold!.MeanKeep, other.Config.Threshold.Images, other.Mode));
        Assert.Equal(20, thresholds.Kept(other).Mean, 12);
        var fresh = thresholds.Calibrate(stored, 16);                          // what train does: always calibrate anew
        Assert.NotEqual(0.125, fresh.Config.Threshold!.Value);
        Assert.Equal(16, thresholds.Kept(fresh).Mean, 12);
        Assert.Same(fresh, thresholds.Calibrate(stored, 16));                  // once per pruner and K
        Assert.Contains("--calibration-scenes", Assert.Throws<ArgumentException>(() => new ValidationThresholds(inference, SceneOptions.Default, 0)).Message);
        Assert.Contains("do not fit", Assert.Throws<ArgumentException>(() => new ValidationThresholds(inference, SceneOptions.Grid81, 4)).Message);
        Assert.Contains("--pruner", Assert.Throws<ArgumentException>(() => MethodSelection.Parse("random", null, BudgetMode.Threshold)).Message);
    }
}
