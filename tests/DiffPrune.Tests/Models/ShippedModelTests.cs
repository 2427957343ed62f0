using DiffPrune.Models.Vlm;
using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Eval;
using DiffPrune.Models.Loaders;
using DiffPrune.Pruning.Baselines;

namespace DiffPrune.Tests.Models;

/// <summary>
/// The base VLM shipped in models/scenebench-vlm: it loads as the demo loads it, answers real SceneBench questions,
/// and random pruning to N/9 costs it accuracy (what makes the benchmark tell pruners apart).
/// </summary>
public class ShippedModelTests
{
    static readonly string Folder = Path.Combine(SharedData.RepoRoot, "models", "scenebench-vlm");

    [Fact]
    public void FitsInTheRepositoryAtSceneBenchGeometry()
    {
        var (vlm, _) = ModelFolder.Load(Folder);
        Assert.Equal(144, vlm.Config.Vision.NumPatches);
        Assert.True(new FileInfo(Path.Combine(Folder, "model.safetensors")).Length <= 30 << 20);
        Assert.True(File.Exists(Path.Combine(Folder, "README.md")), "the command and seed that made it");
    }

    [Fact]
    public void AnswersTestScenesAndLosesAccuracyUnderRandomPruning()
    {
        var (vlm, tokenizer) = ModelFolder.Load(Folder);
        var test = new SceneBench(SceneOptions.ForGrid(vlm.Config.Vision.NumPatches)).Split(SceneSplit.Test, 10).ToList();
        var evaluator = new SceneBenchEvaluator(new VlmInference(vlm), tokenizer, batchSize: 32);

        // open questions of the first scene, answered word for word
        var open = test[0].Items.Where(i => i.Options.Count == 0 && i.Image == null).ToList();
        var answers = evaluator.Answer(open.Select(i => (test[0].Scene.Image, i.Prompt)).ToList());
        int right = open.Zip(answers).Count(p => AnswerNormalizer.Matches(p.Second, p.First.Answer));
        Assert.True(right >= 0.6 * open.Count, $"{right} of {open.Count} open answers right: " +
            string.Join("; ", open.Zip(answers).Select(p => $"{p.First.Question} -> {p.Second} ({p.First.Answer})")));

        var unpruned = evaluator.Evaluate(test);
        var random = evaluator.Evaluate(test, new RandomPruner(16, seed: 0));
        double mean = unpruned.Average(s => s.Value);
        double retention = EvaluationTable.Retention(random, unpruned) ?? double.NaN;
        Assert.True(mean >= 0.85, $"unpruned average {mean:P1} on 10 test scenes");
        Assert.True(retention <= 0.70, $"random 16 of 144 keeps {retention:P1} of the unpruned scores");
    }

    [Fact]
    public void KeepingOnlyTheObjectPatchesKeepsTheAnswersThatNeedEveryObject()
    {
        var (vlm, tokenizer) = ModelFolder.Load(Folder);
        var test = new SceneBench(SceneOptions.ForGrid(vlm.Config.Vision.NumPatches)).Split(SceneSplit.Test, 10).ToList();
        var evaluator = new SceneBenchEvaluator(new VlmInference(vlm), tokenizer, batchSize: 32);
        int full = 0, objectsOnly = 0, asked = 0;
        foreach (var example in test)
        {
            var items = example.Items.Where(i => i.Image == null && i.Skill is QuestionSkill.Count or QuestionSkill.Existence).ToList();
            var queries = items.Select(i => (example.Scene.Image, i.Prompt)).ToList();
            var objects = Enumerable.Range(0, example.Scene.PatchObject.Count).Where(p => example.Scene.PatchObject[p] >= 0).ToArray();
            var all = evaluator.Answer(queries);
            var pruned = evaluator.Answer(queries, PruningHooks.Before(tokens => tokens.Select(Enumerable.Repeat(objects, tokens.Features.Shape[0]).ToArray())));
            full += items.Zip(all).Count(p => AnswerNormalizer.Matches(p.Second, p.First.Answer));
            objectsOnly += items.Zip(pruned).Count(p => AnswerNormalizer.Matches(p.Second, p.First.Answer));
            asked += items.Count;
        }
        // trained with --background-drop: counting must not depend on how many background tokens the LLM sees
        Assert.True(objectsOnly >= 0.9 * full, $"count and existence on 10 test scenes: {full} of {asked} right with all patches, {objectsOnly} with the object patches only");
    }
}
