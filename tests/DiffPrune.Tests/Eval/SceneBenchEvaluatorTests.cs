using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Eval;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Tests.Eval;

public class SceneBenchEvaluatorTests
{
    static readonly WordTokenizer Tok = WordTokenizer.ForSceneBench();

    /// <summary>A small random VLM at SceneBench's geometry (96 px, 8 px patches, 144 tokens) and vocabulary.</summary>
    internal static LlavaModel TinySceneVlm()
    {
        var cfg = new LlavaConfig
        {
            Vision = new VisionConfig { ImageSize = 96, PatchSize = 8, HiddenSize = 16, IntermediateSize = 32, NumLayers = 2, NumHeads = 2, HiddenAct = Activation.QuickGelu },
            Text = new LlamaConfig { VocabSize = Tok.VocabSize, HiddenSize = 32, IntermediateSize = 48, NumLayers = 2, NumHeads = 4, NumKvHeads = 2, TieWordEmbeddings = false },
            ImageTokenId = WordTokenizer.ImageId,
        };
        var vlm = new LlavaModel(cfg, new Generator(5));
        // larger head weights so that greedy answers differ between prompts and images
        vlm.LanguageModel.LmHead!.Weight.CopyFrom(vlm.LanguageModel.LmHead.Weight.Mul(30f));
        return vlm;
    }

    [Fact]
    public void PromptFormatIsBosImagePromptAnswerEos()
    {
        var ids = ScenePrompt.PromptIds(Tok, "what color is the circle?");
        Assert.Equal([Tok.BosId, WordTokenizer.ImageId], ids[..2]);
        Assert.Equal("what color is the circle?", Tok.Decode(ids));
        var (train, start) = ScenePrompt.TrainingIds(Tok, "what color is the circle?", "red");
        Assert.Equal(ids, train[..start]);
        Assert.Equal([.. Tok.Encode("red", bos: false), Tok.EosId], train[start..]);
        var (caption, captionStart) = ScenePrompt.TrainingIds(Tok, "", "a small red circle at the top.");
        Assert.Equal(2, captionStart);
        Assert.Equal(Tok.EosId, caption[^1]);
    }

    [Fact]
    public void BatchedAnswersEqualOneAtATimeAndScoresUseEachSuitesScore()
    {
        var vlm = TinySceneVlm();
        var bench = new SceneBench();
        var examples = bench.Split(SceneSplit.Test, 2).ToArray();
        var items = examples.SelectMany(e => e.Items.Select(q => (q.Image ?? e.Scene.Image, q.Prompt))).ToArray();
        var batched = new SceneBenchEvaluator(new VlmInference(vlm), Tok, batchSize: 7).Answer(items);
        var single = new SceneBenchEvaluator(new VlmInference(vlm), Tok, batchSize: 1).Answer(items);
        Assert.Equal(single, batched);
        Assert.True(batched.Distinct().Count() > 1, "a random model that gives one answer to everything would not test batching");

        var scores = new SceneBenchEvaluator(new VlmInference(vlm), Tok, batchSize: 7).Evaluate(examples);
        Assert.Equal(SceneSuites.All, scores.Select(s => s.Suite));
        Assert.Equal(examples.Sum(e => e.Items.Count), scores.Sum(s => s.Items));
        var vqa = examples.SelectMany(e => e.ItemsOf(SceneSuite.VqaV2)).ToArray();
        var vqaAnswers = batched.Where((_, i) => examples.SelectMany(e => e.Items).ElementAt(i).Suite == SceneSuite.VqaV2).ToArray();
        Assert.Equal(SuiteScoring.Score(SceneSuite.VqaV2, vqa, vqaAnswers).Value, scores.Single(s => s.Suite == SceneSuite.VqaV2).Value);
    }

    [Fact]
    public void AnswersOnASharedImagePrefixEqualAnswersToWholePrompts()
    {
        var vlm = TinySceneVlm();
        var examples = new SceneBench().Split(SceneSplit.Test, 3).ToArray();
        var items = examples.SelectMany(e => e.Items.Select(q => (q.Image ?? e.Scene.Image, q.Prompt))).ToArray();
        var eval = new SceneBenchEvaluator(new VlmInference(vlm), Tok, batchSize: 2);
        var shared = eval.Answer(items);
        // an in-LLM dropper that keeps every token makes each query run whole, with its own prefill
        var whole = eval.Answer(items, new PruningHooks(null, [new KeepEverything()]));
        Assert.Equal(whole, shared);
        Assert.True(shared.Distinct().Count() > 1, "one answer to everything would not test the prefix");
    }

    internal sealed class KeepEverything : ITokenDropper
    {
        public int Layer => 1;
        public bool NeedsAttention => false;
        public TokenDropDecision Decide(TokenDropContext context) =>
            new(Enumerable.Range(0, context.Hidden.Shape[0]).Select(_ => Enumerable.Range(0, context.Hidden.Shape[1]).ToArray()).ToArray());
    }

    [Fact]
    public void PruningHooksChangeWhatTheModelSees()
    {
        var vlm = TinySceneVlm();
        var examples = new SceneBench().Split(SceneSplit.Test, 1).ToArray();
        var items = examples[0].Items.Select(q => (q.Image ?? examples[0].Scene.Image, q.Prompt)).ToArray();
        var eval = new SceneBenchEvaluator(new VlmInference(vlm), Tok, batchSize: 8);
        var full = eval.Answer(items);
        var keepAll = eval.Answer(items, PruningHooks.Before(t => t.Select(t.PatchIndex.Select(p => Enumerable.Range(0, p.Length).ToArray()).ToArray())));
        Assert.Equal(full, keepAll);
        var keep4 = eval.Answer(items, PruningHooks.Before(t => t.Select(t.PatchIndex.Select(_ => new[] { 0, 1, 2, 3 }).ToArray())));
        Assert.NotEqual(full, keep4);
    }

    [Fact]
    public void EveryComparedMethodRunsThroughTheEvaluatorAtSceneBenchGeometry()
    {
        var vlm = TinySceneVlm();
        var examples = new SceneBench().Split(SceneSplit.Test, 1).ToArray();
        var eval = new SceneBenchEvaluator(new VlmInference(vlm), Tok, batchSize: 8);
        var items = examples[0].Items.Select(q => (q.Image ?? examples[0].Scene.Image, q.Prompt)).ToArray();
        foreach (var name in PruningMethods.Names) // at 16 of 144, the paper's 64 of 576
            Assert.Equal(SceneSuites.All, eval.Evaluate(examples, PruningMethods.Create(name, vlm, 16)).Select(s => s.Suite));
        var fastV = PruningMethods.Create("FastV", vlm, 16);
        var answers = eval.Answer(items, fastV);
        Assert.Equal(eval.Answer(items, new PruningHooks(null, fastV.Droppers)), answers);
        Assert.NotEqual(eval.Answer(items), answers);
    }
}
