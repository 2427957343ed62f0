using DiffPrune.Models.Llama;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Models;

public class LlamaTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void KvCacheGenerationEqualsRecomputation(bool tied)
    {
        var lm = TinyModels.RandomLlama(seed: 3, tied);
        int[] ids = [1, 7, 12, 5, 9];
        var cached = Generation.Generate(lm, TinyModels.Prompt(lm, ids), 12, SamplingOptions.Greedy, useCache: true)[0];
        var recomputed = Generation.Generate(lm, TinyModels.Prompt(lm, ids), 12, SamplingOptions.Greedy, useCache: false)[0];
        Assert.Equal(recomputed, cached);

        // seeded sampling walks through many tokens, so it exercises many cache lengths and positions
        var sampling = new SamplingOptions(Temperature: 1.0f, TopK: 10, Seed: 42);
        var sampledCached = Generation.Generate(lm, TinyModels.Prompt(lm, ids), 12, sampling, useCache: true)[0];
        Assert.Equal(Generation.Generate(lm, TinyModels.Prompt(lm, ids), 12, sampling, useCache: false)[0], sampledCached);
        Assert.True(sampledCached.Distinct().Count() > 3, $"sampling produced too few distinct tokens: {string.Join(",", sampledCached)}");
    }

    [Fact]
    public void CachedStepLogitsEqualFullForwardLogits()
    {
        var lm = TinyModels.RandomLlama(seed: 4);
        using var _ = Autograd.NoGrad();
        int[] ids = [2, 8, 4, 11, 6, 1];
        var full = lm.Forward(TinyModels.Prompt(lm, ids)).Logits;                         // (1, 6, V)
        var cache = new KvCache(lm.Config.NumLayers, 1);
        lm.Forward(TinyModels.Prompt(lm, ids[..4]) with { Cache = cache });
        var step = lm.Forward(new DecoderInput(lm.Embed(new IntTensor(ids[4..], 1, 2)), [4, 5]) { Cache = cache }).Logits;
        Tolerance.AssertClose(full.Slice(1, 4, 6).Data, step.Data, atol: 1e-4, rtol: 0, what: "cached logits");
        Assert.Equal(6, cache.NextPosition[0]);
    }

    [Fact]
    public void LeftPaddedBatchGivesEachSampleItsBatchOneLogits()
    {
        var lm = TinyModels.RandomLlama(seed: 5);
        using var _ = Autograd.NoGrad();
        int[][] prompts = [[1, 5, 9, 2, 7, 3], [1, 8, 4], [1, 6, 6, 10]];
        int len = prompts.Max(p => p.Length), b = prompts.Length;
        var ids = new int[b * len];
        var pos = new int[b * len];
        var valid = new bool[b * len];
        for (int i = 0; i < b; i++)
        {
            int pad = len - prompts[i].Length;
            for (int j = 0; j < prompts[i].Length; j++)
            {
                ids[i * len + pad + j] = prompts[i][j];
                pos[i * len + pad + j] = j;
                valid[i * len + pad + j] = true;
            }
        }
        var batch = lm.Forward(new DecoderInput(lm.Embed(new IntTensor(ids, b, len)), pos, valid)).Logits;
        int v = lm.Config.VocabSize;
        for (int i = 0; i < b; i++)
        {
            var single = lm.Forward(TinyModels.Prompt(lm, prompts[i])).Logits;
            int pad = len - prompts[i].Length;
            Tolerance.AssertClose(single.Data, batch.Data.Slice((i * len + pad) * v, prompts[i].Length * v), atol: 1e-4, rtol: 0, what: $"sample {i}");
        }
        // and generation from the padded batch equals per-sample generation
        var batched = Generation.Generate(lm, new DecoderInput(lm.Embed(new IntTensor(ids, b, len)), pos, valid), 6, SamplingOptions.Greedy);
        for (int i = 0; i < b; i++)
            Assert.Equal(Generation.Generate(lm, TinyModels.Prompt(lm, prompts[i]), 6, SamplingOptions.Greedy)[0], batched[i]);
    }

    [Fact]
    public void RejectsInconsistentInputsWithClearMessages()
    {
        var lm = TinyModels.RandomLlama();
        var e = lm.Embed(new IntTensor([1, 2, 3], 1, 3));
        Assert.Contains("position ids", Assert.Throws<ArgumentException>(() => lm.Forward(new DecoderInput(e, [0, 1]))).Message);
        Assert.Contains("vocabulary", Assert.Throws<ArgumentOutOfRangeException>(() => lm.Embed(new IntTensor([99], 1, 1))).Message);
        Assert.Contains("num_key_value_heads", Assert.Throws<ArgumentException>(() => new LlamaForCausalLM(TinyModels.Llama() with { NumKvHeads = 3 }, new Generator(0))).Message);
    }
}
