using DiffPrune.Models.Llama;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors;
using DiffPrune.Tests.Models;

namespace DiffPrune.Tests.Pruning.Baselines;

/// <summary>
/// Every method on the two test VLMs (4 layers and N = 16; 8 layers and N = 36): a batch of three images decides and
/// scores each image as a batch of one would, and after in-LLM pruning the KV cache generates what recomputation does.
/// Random is left out of the batch comparison: its draws are one seeded stream, so image i of a batch draws later in
/// it than the same image alone (RandomPrunerTests covers it).
/// </summary>
public class BatchAndCacheEquivalenceTests
{
    static readonly string[] InLlm = ["FastV", "DART", "PyramidDrop", "SparseVLM"];

    public static TheoryData<string, bool> AllButRandom()
    {
        var data = new TheoryData<string, bool>();
        foreach (var name in PruningMethods.Names.Where(n => n != "Random"))
            foreach (bool deep in new[] { false, true }) data.Add(name, deep);
        return data;
    }

    public static TheoryData<string, bool> InsideTheLlm()
    {
        var data = new TheoryData<string, bool>();
        foreach (var name in InLlm)
            foreach (bool deep in new[] { false, true }) data.Add(name, deep);
        return data;
    }

    static (LlavaModel Vlm, IPruningMethod Method) Setup(string name, bool deep)
    {
        var vlm = deep ? BaselineFixtures.DeepVlm(21) : BaselineFixtures.ShallowVlm(21);
        return (vlm, PruningMethods.Create(name, vlm, deep ? 9 : 5));
    }

    /// <summary>Positions of sample b's tokens that reached the last layer.</summary>
    static int[] ReachedPositions(DecoderOutput output, int b, int batch)
    {
        int t = output.Positions.Length / batch;
        return Enumerable.Range(b * t, t).Where(i => output.Valid[i]).Select(i => output.Positions[i]).ToArray();
    }

    [Theory]
    [MemberData(nameof(AllButRandom))]
    public void ABatchOfThreeGivesEachImageTheKeptSetAndLogitsOfABatchOfOne(string name, bool deep)
    {
        var (vlm, method) = Setup(name, deep);
        using var _ = Autograd.NoGrad();
        var pixels = BaselineFixtures.Pixels(vlm, 3, 22);
        var batch = vlm.LanguageModel.Forward(new VlmInference(vlm).Prepare(pixels, BaselineFixtures.Texts, method) with { LastLogitsOnly = true });
        int v = vlm.Config.Text.VocabSize;
        for (int i = 0; i < 3; i++)
        {
            var input = new VlmInference(vlm).Prepare(pixels.Slice(0, i, i + 1), [BaselineFixtures.Texts[i]], method);
            var one = vlm.LanguageModel.Forward(input with { LastLogitsOnly = true });
            Assert.Equal(ReachedPositions(one, 0, 1), ReachedPositions(batch, i, 3));
            Tolerance.AssertClose(one.Logits.Data, batch.Logits.Data.Slice(i * v, v), atol: 1e-4, rtol: 0, what: $"{name}, image {i}");
            // kept tokens keep their original position ids
            Assert.Subset(input.Positions.ToHashSet(), ReachedPositions(one, 0, 1).ToHashSet());
        }
    }

    [Theory]
    [MemberData(nameof(InsideTheLlm))]
    public void PrunedTokensLeaveTheKvCacheFromTheirLayerOn(string name, bool deep)
    {
        var (vlm, method) = Setup(name, deep);
        using var _ = Autograd.NoGrad();
        var prompt = new VlmInference(vlm).Prepare(BaselineFixtures.Pixels(vlm, 3, 23), BaselineFixtures.Texts, method);
        var cache = new KvCache(vlm.Config.Text.NumLayers, 3);
        var output = vlm.LanguageModel.Forward(prompt with { Cache = cache });
        var layers = method.Droppers.Select(d => d.Layer).Order().ToArray();
        Assert.Equal(layers.Length, output.Decisions.Count);
        int expected = prompt.Positions.Length / 3;
        for (int l = 0; l < vlm.Config.Text.NumLayers; l++)
        {
            int stage = Array.IndexOf(layers, l);
            if (stage >= 0) expected = output.Decisions[stage].Count;
            Assert.Equal(expected, cache[l].Length);
        }
        Assert.True(cache[vlm.Config.Text.NumLayers - 1].Length < prompt.Positions.Length / 3, "the last layer still holds every token");
    }

    [Theory]
    [MemberData(nameof(InsideTheLlm))]
    public void GenerationWithTheKvCacheAfterInLlmPruningEqualsRecomputation(string name, bool deep)
    {
        var (vlm, method) = Setup(name, deep);
        var lm = vlm.LanguageModel;
        using var _ = Autograd.NoGrad();
        var prompt = new VlmInference(vlm).Prepare(BaselineFixtures.Pixels(vlm, 3, 24), BaselineFixtures.Texts, method);
        var decisions = lm.Forward(prompt).Decisions;
        var replays = BaselineFixtures.Replays(method.Droppers, decisions, prompt.Positions.Length / 3);
        var sampling = new SamplingOptions(1f, 8, Seed: 25);
        var cached = Generation.Generate(lm, prompt, 8, sampling, useCache: true);
        var recomputed = Generation.Generate(lm, prompt with { Droppers = replays }, 8, sampling, useCache: false);
        Assert.Equal(recomputed, cached);
    }
}
