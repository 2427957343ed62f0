using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Distributed;
using DiffPrune.Tests.Eval;

namespace DiffPrune.Tests.Models;

public class VlmInferenceTests
{
    static readonly WordTokenizer Tok = WordTokenizer.ForSceneBench();

    /// <summary>Every question of the first <paramref name="scenes"/> test scenes, as (image, prompt ids).</summary>
    static (RgbImage Image, int[] TextIds)[] Queries(int scenes) =>
        new SceneBench().Split(SceneSplit.Test, scenes)
            .SelectMany(e => e.Items.Select(q => (q.Image ?? e.Scene.Image, ScenePrompt.PromptIds(Tok, q.Prompt)))).ToArray();

    static RgbImage[] Images((RgbImage Image, int[] TextIds)[] queries) =>
        queries.Select(q => q.Image).Distinct(ReferenceEqualityComparer.Instance).Cast<RgbImage>().ToArray();

    [Theory]
    [InlineData("DivPrune")]
    [InlineData("VisionZip")]
    [InlineData("FastV")]
    public void BatchedGenerationEqualsOneQueryAtATime(string name)
    {
        var vlm = SceneBenchEvaluatorTests.TinySceneVlm();
        var queries = Queries(2);
        var method = PruningMethods.Create(name, vlm, 16);
        var batched = new VlmInference(vlm).Generate(queries, method, 8, Tok.EosId, 5);
        var single = queries.Select(q => new VlmInference(vlm).Generate([q], method, 8, Tok.EosId, 1)[0]).ToArray();
        Assert.Equal(single, batched);
        Assert.True(batched.Select(a => string.Join(",", a!)).Distinct().Count() > 1, "one answer to everything would not test batching");
    }

    [Fact]
    public void CachedFeaturesGiveTheAnswersOfRecomputedOnesAndAreComputedOnce()
    {
        var vlm = SceneBenchEvaluatorTests.TinySceneVlm();
        var queries = Queries(2);
        var images = Images(queries);
        var shared = new VlmInference(vlm);
        var unpruned = shared.Generate(queries, null, 8, Tok.EosId, 3);
        using (Autograd.NoGrad())
            // the cache encoded these images in other batches: equal up to how a BLAS blocks a product of another shape
            Tolerance.AssertClose(vlm.EncodeImages(ImageTensors.ToTensor(images, ImageNormalization.Clip)).Features, shared.Encode(images).Features, atol: 1e-5, rtol: 1e-5);
        Assert.Same(shared.Encode([images[1]]).Features, shared.Encode([images[1]]).Features);
        foreach (var name in new[] { "VisionZip", "FastV", "Random" })
        {
            var cached = shared.Generate(queries, PruningMethods.Create(name, vlm, 16, seed: 4), 8, Tok.EosId, 3);
            Assert.Equal(new VlmInference(vlm).Generate(queries, PruningMethods.Create(name, vlm, 16, seed: 4), 8, Tok.EosId, 3), cached);
            Assert.NotEqual(unpruned, cached);
        }
    }

    [Fact]
    public void KeepingAllNTokensGeneratesTheUnprunedAnswers()
    {
        var vlm = SceneBenchEvaluatorTests.TinySceneVlm();
        var queries = Queries(1);
        int n = vlm.Config.Vision.NumPatches;
        var inference = new VlmInference(vlm);
        var unpruned = inference.Generate(queries, null, 8, Tok.EosId, 4);
        Assert.Equal(unpruned, inference.Generate(queries, new RandomPruner(n, 3), 8, Tok.EosId, 4));
        Assert.Equal(unpruned, inference.Generate(queries, PruningMethods.Create("FastV", vlm, n), 8, Tok.EosId, 4));
        Assert.NotEqual(unpruned, inference.Generate(queries, new RandomPruner(4, 3), 8, Tok.EosId, 4));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("DivPrune")]
    [InlineData("FastV")]
    public void SharesOfBatchesTogetherGiveTheWholeAnswersBitForBit(string? name)
    {
        var vlm = SceneBenchEvaluatorTests.TinySceneVlm();
        var queries = Queries(3);
        var method = name == null ? null : PruningMethods.Create(name, vlm, 16);
        var whole = new VlmInference(vlm).Generate(queries, method, 8, Tok.EosId, 2);
        int batches = (Images(queries).Length + 1) / 2;
        Assert.True(batches >= 3, "too few batches of images to share");
        for (int ranks = 2; ranks <= 3; ranks++)
        {
            var shares = Enumerable.Range(0, ranks).Select(r => new VlmInference(vlm).Generate(queries, method, 8, Tok.EosId, 2, share: new WorkShare(r, ranks))).ToArray();
            for (int q = 0; q < queries.Length; q++)
                Assert.Equal(whole[q], Assert.Single(shares, s => s[q] != null)[q]);
            Assert.All(shares, s => Assert.Contains(s, a => a != null));
        }
    }

    [Fact]
    public void SampledGenerationIsSeededAndLeavesGreedyDecoding()
    {
        var vlm = SceneBenchEvaluatorTests.TinySceneVlm();
        var queries = Queries(1);
        var inference = new VlmInference(vlm);
        var hot = new SamplingOptions(Temperature: 5f, Seed: 2);
        var sampled = inference.Generate(queries, null, 8, Tok.EosId, 4, hot);
        Assert.Equal(sampled, inference.Generate(queries, null, 8, Tok.EosId, 4, hot));
        Assert.NotEqual(inference.Generate(queries, null, 8, Tok.EosId, 4), sampled);
        Assert.NotEqual(inference.Generate(queries, null, 8, Tok.EosId, 4, hot with { Seed = 3 }), sampled);
    }

    [Fact]
    public void AttentionMapsAreKeptOnlyWhenAskedFor()
    {
        var vlm = SceneBenchEvaluatorTests.TinySceneVlm();
        var images = Images(Queries(1));
        var inference = new VlmInference(vlm);
        Assert.Null(inference.Encode(images).Vision);
        var withMaps = inference.Encode(images, attentions: true);
        Assert.Equal(images.Length, withMaps.Vision!.Attentions![^1].Shape[0]);
        var visionZip = PruningMethods.Create("VisionZip", vlm, 16);
        Assert.Equal(visionZip.PreLlm!(withMaps).PatchIndex, visionZip.PreLlm!(inference.Encode(images, attentions: true)).PatchIndex);
        var message = Assert.Throws<ArgumentException>(() => visionZip.PreLlm!(VisualTokens.Of(withMaps.Features))).Message;
        Assert.Contains("encode the images with attentions", message);
    }

    [Fact]
    public void SamplesSplitAndStackBackExactly()
    {
        var vlm = SceneBenchEvaluatorTests.TinySceneVlm();
        using var _ = Autograd.NoGrad();
        var tokens = vlm.EncodeImages(ImageTensors.ToTensor(Images(Queries(2)), ImageNormalization.Clip), outputAttentions: true);
        var stacked = VisualTokens.Cat(Enumerable.Range(0, tokens.Features.Shape[0]).Select(tokens.Sample).ToArray());
        Assert.Equal(tokens.Features.ToArray(), stacked.Features.ToArray());
        Assert.Equal(tokens.PatchIndex, stacked.PatchIndex);
        Assert.Equal(tokens.Vision!.HiddenStates.Select(h => h.ToArray()), stacked.Vision!.HiddenStates.Select(h => h.ToArray()));
        Assert.Equal(tokens.Vision.Attentions!.Select(a => a.ToArray()), stacked.Vision.Attentions!.Select(a => a.ToArray()));
    }

    [Fact]
    public void AnswerLossKeepsAllTokensLikeTheUnprunedLossAndRefusesInLlmMethods()
    {
        var vlm = SceneBenchEvaluatorTests.TinySceneVlm();
        var scenes = new SceneBench().Split(SceneSplit.Test, 2).Select(e => e.Scene).ToArray();
        var inference = new VlmInference(vlm);
        using var _ = Autograd.NoGrad();
        var tokens = VisualTokens.Of(inference.Encode(scenes.Select(s => s.Image).ToArray()).Features);
        var text = scenes.Select(s => ScenePrompt.TrainingIds(Tok, "", s.Caption)).ToArray();
        var ids = text.Select(t => t.Ids).ToArray();
        var masks = AnswerTargets.Masks(ids, text.Select(t => t.AnswerStart).ToArray());
        float unpruned = inference.AnswerLoss(tokens, null, ids, masks).Loss.Item();
        Assert.Equal(unpruned, inference.AnswerLoss(tokens, new RandomPruner(tokens.Count, 1), ids, masks).Loss.Item());
        Assert.NotEqual(unpruned, inference.AnswerLoss(tokens, new RandomPruner(8, 1), ids, masks).Loss.Item());
        Assert.Throws<ArgumentException>(() => inference.AnswerLoss(tokens, PruningMethods.Create("FastV", vlm, 16), ids, masks));
    }
}
