using System.Text.Json;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Eval;
using DiffPrune.Eval.Profiling;
using DiffPrune.Eval.Reports;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tests.Data;
using DiffPrune.Tests.Models;
using DiffPrune.Training.Pretraining;

namespace DiffPrune.Tests.Eval;

public class EvaluationTableTests
{
    static SuiteScore Score(SceneSuite suite, double value) =>
        new(suite, value, suite == SceneSuite.Mme ? (value * 800).ToString("F1", System.Globalization.CultureInfo.InvariantCulture)
            : (100 * value).ToString("F1", System.Globalization.CultureInfo.InvariantCulture), 10, new Dictionary<string, double>());

    /// <summary>Vanilla scores 0.5 everywhere but 0 on POPE; the pruned row loses half on GQA and nothing elsewhere.</summary>
    static (IReadOnlyList<SuiteScore> Vanilla, IReadOnlyList<SuiteScore> Pruned) Scores()
    {
        var vanilla = SceneSuites.All.Select(s => Score(s, s == SceneSuite.Pope ? 0 : 0.5)).ToArray();
        var pruned = SceneSuites.All.Select(s => Score(s, s == SceneSuite.Gqa ? 0.25 : s == SceneSuite.Pope ? 0.3 : 0.5)).ToArray();
        return (vanilla, pruned);
    }

    static EvaluationTable SyntheticTable()
    {
        var (vanilla, pruned) = Scores();
        var upper = new EvaluationRow("Vanilla", "–", 144, vanilla, EvaluationTable.Retention(vanilla, vanilla), 1);
        var row = new EvaluationRow("FastV", "L2–L4", 16, pruned, EvaluationTable.Retention(pruned, vanilla), 2);
        return new EvaluationTable("model", 144, 2, 100, upper, [new EvaluationBlock(1.0 / 9, 16, [row])]);
    }

    [Fact]
    public void RetentionAveragesPrunedOverUnprunedOverTheSuitesVanillaScores()
    {
        var (vanilla, pruned) = Scores();
        // nine suites count (POPE's reference is 0): eight at 1, GQA at 0.5
        Assert.Equal((8 + 0.5) / 9, EvaluationTable.Retention(pruned, vanilla)!.Value, 12);
        Assert.Equal(1.0, EvaluationTable.Retention(vanilla, vanilla)!.Value, 12);
        var zeros = SceneSuites.All.Select(s => Score(s, 0)).ToArray();
        Assert.Null(EvaluationTable.Retention(pruned, zeros));
        Assert.Equal([SceneSuite.Pope], SyntheticTable().ExcludedSuites);
    }

    [Fact]
    public void MarkdownHasTheTable1Layout()
    {
        var md = EvaluationReport.Markdown(SyntheticTable());
        var lines = md.Split('\n');
        Assert.Contains("| Method | Loc. | GQA | MMBench | MMBench-CN | MME | POPE | SQA | VQAv2 | TextVQA | SEED | VizWiz | Avg. |", lines);
        int upper = Array.FindIndex(lines, l => l.StartsWith("| *Upper Bound, 144 Tokens (100 %)*", StringComparison.Ordinal));
        int block = Array.FindIndex(lines, l => l.StartsWith("| *Retain 16 Tokens (88.9 % pruning)*", StringComparison.Ordinal));
        Assert.True(upper > 0 && block > upper, md);
        Assert.Equal("| Vanilla | – | 50.0 | 50.0 | 50.0 | 400.0 | 0.0 | 50.0 | 50.0 | 50.0 | 50.0 | 50.0 | 100.0 % |", lines[upper + 1]);
        Assert.Equal("| FastV | L2–L4 | 25.0 | 50.0 | 50.0 | 400.0 | 30.0 | 50.0 | 50.0 | 50.0 | 50.0 | 50.0 | 94.4 % |", lines[block + 1]);
        Assert.Contains("Avg. leaves out POPE", md);
        Assert.All(lines.Where(l => l.StartsWith('|')), l => Assert.Equal(14, l.Count(c => c == '|')));
    }

    [Fact]
    public void CsvAndJsonHoldTheSameCells()
    {
        var table = SyntheticTable();
        var csv = EvaluationReport.Csv(table).TrimEnd('\n').Split('\n');
        Assert.Equal(3, csv.Length);
        Assert.Equal("block,method,location,keep,pruning_percent,GQA,MMBench,MMBench-CN,MME,POPE,SQA,VQAv2,TextVQA,SEED,VizWiz,avg_retention_percent,"
            + "ci_low_percent,ci_high_percent,paired_reference,paired_difference_points,paired_ci_low_points,paired_ci_high_points,paired_verdict,"
            + "kept_mean,kept_min,kept_max,threshold,llm_flops_percent", csv[0]);
        // no per-scene answers, so no intervals, no kept counts and no threshold: their cells stay empty
        Assert.Equal("\"Upper Bound, 144 Tokens (100 %)\",Vanilla,–,144,0.0,50.0,50.0,50.0,400.0,0.0,50.0,50.0,50.0,50.0,50.0,100.0,,,,,,,,,,,,", csv[1]);
        Assert.Equal("Retain 16 Tokens (88.9 % pruning),FastV,L2–L4,16,88.9,25.0,50.0,50.0,400.0,30.0,50.0,50.0,50.0,50.0,50.0,94.4,,,,,,,,,,,,", csv[2]);

        using var json = JsonDocument.Parse(EvaluationReport.Json(table));
        var root = json.RootElement;
        Assert.Equal("POPE", root.GetProperty("excludedFromAverage")[0].GetString());
        var row = root.GetProperty("blocks")[0].GetProperty("rows")[0];
        Assert.Equal("FastV", row.GetProperty("method").GetString());
        Assert.Equal(8.5 / 9, row.GetProperty("retention").GetDouble(), 12);
        Assert.Equal(0.25, row.GetProperty("scores").GetProperty("GQA").GetProperty("value").GetDouble());
        Assert.Equal(16, root.GetProperty("blocks")[0].GetProperty("keep").GetInt32());
    }

    [Fact]
    public void EvaluatesMethodsTimesBudgetsOnATinyVlmAndWritesTheThreeFiles()
    {
        var tokenizer = WordTokenizer.ForSceneBench();
        var vlm = new LlavaModel(TinyModels.SceneLlava(), new Generator(5));
        var examples = new SceneBench().Split(SceneSplit.Test, 2).ToList();
        var evaluation = new TableEvaluation(new VlmInference(vlm), tokenizer, examples, MethodSelection.Parse("fastv,random", null), [2.0 / 9, 1.0 / 9], "tiny");
        Assert.Equal(["Vanilla", "Random", "FastV", "Random", "FastV"], evaluation.Plan.Select(p => p.Method.Label));
        Assert.Equal([144, 32, 32, 16, 16], evaluation.Plan.Select(p => p.Keep));
        var table = evaluation.Run();
        Assert.Equal([32, 16], table.Blocks.Select(b => b.Keep));
        Assert.Equal(["Pre", "L1–L2"], table.Blocks[0].Rows.Select(r => r.Location));
        Assert.Equal(examples.Sum(e => e.Items.Count), table.Items);
        foreach (var row in table.Blocks.SelectMany(b => b.Rows))
        {
            Assert.Equal(SceneSuites.All, row.Scores.Select(s => s.Suite));
            Assert.Equal(EvaluationTable.Retention(row.Scores, table.Vanilla.Scores), row.Retention);
        }
        using var dir = new TempDirectory();
        var files = EvaluationReport.Write(dir.Path, table);
        Assert.Equal(["report.md", "report.json", "table.csv"], files.Take(3).Select(Path.GetFileName));
        Assert.Equal(table.Blocks.SelectMany(b => b.Rows).Any(r => r.Retention != null) ? ["retention.png", "retention-flops.png"] : Array.Empty<string>(), files.Skip(3).Select(Path.GetFileName));
        // every row kept its two scenes' answers, so the table carries the bootstrap
        Assert.All(table.Blocks.SelectMany(b => b.Rows).Prepend(table.Vanilla), r => Assert.Equal(2, r.Outcomes!.Count));
        Assert.NotNull(table.Statistics);
        Assert.Equal(1 + 1 + 4, File.ReadAllLines(files[2]).Length);
        Assert.Contains("Retain 16 Tokens (88.9 % pruning)", File.ReadAllText(files[0]));
        AssertPrefillFlops(vlm, tokenizer, examples[0], table);
    }

    /// <summary>Each row's prefill FLOPs are those of its schedule on the first scene's first VQAv2 question: Vanilla's and
    /// Random's from their constant sequence lengths, FastV's above Random's at the same K (its first layers see all N).</summary>
    static void AssertPrefillFlops(LlavaModel vlm, WordTokenizer tokenizer, SceneExample example, EvaluationTable table)
    {
        int text = ScenePrompt.PromptIds(tokenizer, example.ItemsOf(SceneSuite.VqaV2).First().Prompt).Length - 1;   // the image token is replaced
        var config = vlm.Config;
        double Constant(int keep) => FlopCount.Of(config, TokenSchedule.Constant(keep, keep + text, config.Text.NumLayers)).Prefill;
        Assert.Equal(Constant(144), table.Vanilla.PrefillFlops!.Value, 6);
        foreach (var block in table.Blocks)
        {
            var (random, fastV) = (block.Rows[0], block.Rows[1]);
            Assert.Equal(Constant(block.Keep), random.PrefillFlops!.Value, 6);
            Assert.InRange(fastV.PrefillFlops!.Value, Constant(block.Keep) * 1.01, Constant(144) * 0.99);
        }
    }

    [Fact]
    public void ATiledModelIsEvaluatedOnHighResolutionScenesAsTable2WithoutTheMethodsThatReadAttentionMaps()
    {
        var tokenizer = WordTokenizer.ForSceneBench();
        var vlm = new LlavaModel(SceneVlm.AnyRes(TinyModels.SceneLlava()), new Generator(5));
        var examples = new SceneBench(SceneVlm.Scenes(SceneBenchConfiguration.Dense, vlm.Config)).Split(SceneSplit.Test, 1).ToList();
        var evaluation = new TableEvaluation(new VlmInference(vlm), tokenizer, examples, MethodSelection.Parse("all", null), [1.0 / 9], "tiny-next");
        Assert.Equal(["HoloV", "PruneSID", "VisionZip"], evaluation.LeftOut.Order());
        Assert.All(evaluation.Plan.Skip(1), p => Assert.Equal(80, p.Keep)); // 88.9 % pruning of 5 × 144 tokens
        var table = evaluation.Run();
        Assert.True(table.Tiled);
        var md = EvaluationReport.Markdown(table);
        Assert.StartsWith("# SceneBench evaluation of a LLaVA-NeXT-style model (paper Table 2)", md);
        Assert.Contains("Left out: ", md);
        Assert.True(JsonDocument.Parse(EvaluationReport.Json(table)).RootElement.GetProperty("tiled").GetBoolean());
        Assert.Contains("this model cannot run VisionZip, which reads the vision tower's attention maps", Assert.Throws<ArgumentException>(() =>
            new TableEvaluation(new VlmInference(vlm), tokenizer, examples, MethodSelection.Parse("random,visionzip", null), [1.0 / 9], "tiny-next")).Message);
    }

    [Fact]
    public void PrefillFlopsOfALlavaNextModelCountItsTiledSequence()
    {
        var tokenizer = WordTokenizer.ForSceneBench();
        var vlm = new LlavaModel(TinyModels.SceneLlava() with { ImageGridPinpoints = [(96, 96), (192, 192)] }, new Generator(5));
        var examples = new SceneBench().Split(SceneSplit.Test, 1).ToList();
        var table = new TableEvaluation(new VlmInference(vlm), tokenizer, examples, MethodSelection.Parse("random", null), [1.0 / 9], "tiny-next").Run();
        // the unpruned prompt carries the image as LLaVA-NeXT tiles it (base view and one tile projected, a newline after
        // each tile row), not as one 144-token view
        var inference = new VlmInference(vlm);
        var encoded = inference.Encode([examples[0].Scene.Image]);
        int sequence = inference.Assemble(encoded, [ScenePrompt.PromptIds(tokenizer, examples[0].ItemsOf(SceneSuite.VqaV2).First().Prompt)]).Embeds.Shape[1];
        Assert.True(encoded.Count > vlm.Config.Vision.NumPatches, $"{encoded.Count} visual tokens");
        var unpruned = TokenSchedule.Constant(encoded.Count, sequence, vlm.Config.Text.NumLayers);
        Assert.Equal(FlopCount.Of(vlm.Config, unpruned).Prefill, table.Vanilla.PrefillFlops!.Value, 6);
        Assert.True(table.Blocks[0].Rows[0].PrefillFlops < table.Vanilla.PrefillFlops);
    }

    [Fact]
    public void BadInputsAreRejectedBeforeAnythingRuns()
    {
        var tokenizer = WordTokenizer.ForSceneBench();
        var vlm = new LlavaModel(TinyModels.SceneLlava(), new Generator(5));
        var examples = new SceneBench().Split(SceneSplit.Test, 1).ToList();
        Assert.Throws<ArgumentException>(() => new TableEvaluation(new VlmInference(vlm), tokenizer, examples, MethodSelection.All(), [1.0], "tiny"));
        Assert.Throws<ArgumentException>(() => new TableEvaluation(new VlmInference(vlm), tokenizer, [], MethodSelection.All(), [0.5], "tiny"));
        Assert.Throws<ArgumentException>(() => new TableEvaluation(new VlmInference(vlm), tokenizer, examples, MethodSelection.All(), [], "tiny"));
    }
}
