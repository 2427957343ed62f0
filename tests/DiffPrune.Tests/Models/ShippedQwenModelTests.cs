using DiffPrune.Data.Scenes;
using DiffPrune.Eval;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Pruning.Baselines;

namespace DiffPrune.Tests.Models;

/// <summary>
/// The Qwen2.5-VL-style base VLM shipped in models/scenebench-vlm-qwen: it loads from its HF-layout folder, reads
/// variable-size scenes with their own N, answers them, and random pruning to N_i/9 of each image costs it accuracy.
/// </summary>
public class ShippedQwenModelTests
{
    static readonly string Folder = Path.Combine(SharedData.RepoRoot, "models", "scenebench-vlm-qwen");
    static readonly SceneOptions Variable = SceneOptions.For(SceneBenchConfiguration.Dense, 144, SceneResolution.Variable);

    [Fact]
    public void IsAQwenFolderThatFitsInTheRepository()
    {
        Assert.True(ModelFolder.IsQwen25Vl(Folder), "config.json should say model_type qwen2_5_vl");
        Assert.True(new FileInfo(Path.Combine(Folder, "model.safetensors")).Length <= 30 << 20);
        Assert.True(File.Exists(Path.Combine(Folder, "README.md")), "the commands that made it");
    }

    [Fact]
    public void AnswersVariableSizeTestScenesAndLosesAccuracyUnderRandomPruning()
    {
        var (vlm, tokenizer) = ModelFolder.LoadAny(Folder);
        Assert.Null(vlm.BudgetTokens); // native resolution: no one N for every image
        var test = new SceneBench(Variable).Split(SceneSplit.Test, 10).ToList();
        var tokens = test.Select(e => vlm.TokenCount(e.Scene.Image)).Distinct().Count();
        Assert.True(tokens > 1, "the test scenes should give different N");
        var evaluator = new SceneBenchEvaluator(new VlmInference(vlm), tokenizer, batchSize: 32);

        var unpruned = evaluator.Evaluate(test);
        var random = evaluator.Evaluate(test, new PerImageRate(k => new RandomPruner(k, seed: 0), 1.0 / 9, 16));
        double mean = unpruned.Average(s => s.Value);
        double retention = EvaluationTable.Retention(random, unpruned) ?? double.NaN;
        Assert.True(mean >= 0.85, $"unpruned average {mean:P1} on 10 test scenes");
        Assert.True(retention <= 0.70, $"random N_i/9 keeps {retention:P1} of the unpruned scores");
    }
}
