using DiffPrune.Models.Llama;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Models;

public class LlavaTests
{
    static readonly int[][] Texts = [[1, 5, 3, 9, 12, 7], [1, 3, 8, 4], [1, 6, 2, 3, 10]];

    [Fact]
    public void Llava15_7BShapeHasTheKnownParameterCount()
    {
        var cfg = LlavaConfig.Llava15_7B();
        long total = cfg.ParameterCount();
        // llava-hf/llava-1.5-7b-hf: 7,063,427,072 parameters (vision tower 303.5 M, projector 21.0 M, Vicuna-7B 6.74 B)
        Assert.InRange(total, 7.06e9 * 0.995, 7.06e9 * 1.005);
        Assert.Equal(576, cfg.Vision.NumPatches);
        Assert.Equal(303_507_456, cfg.Vision.ParameterCount());
        Assert.Equal(20_979_712, cfg.ProjectorParameterCount());
    }

    [Fact]
    public void VisualTokensComeFromLayerMinusTwoWithoutCls()
    {
        var vlm = new LlavaModel(TinyModels.Llava(), new Generator(1));
        using var _ = Autograd.NoGrad();
        var tokens = vlm.EncodeImages(TinyModels.Pixels(2, 3), outputAttentions: true);
        Assert.Equal([2, 16, 24], tokens.Features.Shape);
        Assert.Equal(3, tokens.Vision!.HiddenStates.Count); // embeddings + 2 of 3 layers: the last layer is not needed
        var full = vlm.VisionTower.VisionModel.Forward(TinyModels.Pixels(2, 3));
        Tolerance.AssertClose(full.HiddenStates[^2].Slice(1, 1, 17).Data, tokens.Features.Data, atol: 0, rtol: 0, what: "layer −2 patches");
        Assert.Equal([2, 3, 17, 17], tokens.Vision!.Attentions![0].Shape);
    }

    [Fact]
    public void PreLlmPruningEqualsAModelThatNeverSawTheDroppedTokens()
    {
        var vlm = new LlavaModel(TinyModels.Llava(), new Generator(2));
        using var _ = Autograd.NoGrad();
        var pixels = TinyModels.Pixels(1, 4);
        int[][] text = [Texts[0]];
        int[] keep = [0, 3, 4, 9, 15];
        var pruned = new VlmInference(vlm).Forward(pixels, text, PruningHooks.Before(t => t.Select([keep]))).Logits;

        // Reference: all 16 tokens in the sequence, the dropped ones hidden from every query by the padding mask.
        var full = new VlmInference(vlm).Prepare(pixels, text);
        var valid = (bool[])full.Valid!.Clone();
        int start = full.ImageSpans![0].Start;
        for (int j = 0; j < 16; j++) if (!keep.Contains(j)) valid[start + j] = false;
        var reference = vlm.LanguageModel.Forward(full with { Valid = valid }).Logits;
        int v = vlm.Config.Text.VocabSize;
        var rows = Enumerable.Range(0, full.Positions.Length).Where(i => valid[i]).ToArray();
        Assert.Equal(pruned.Shape[1], rows.Length);
        for (int r = 0; r < rows.Length; r++)
            Tolerance.AssertClose(reference.Data.Slice(rows[r] * v, v), pruned.Data.Slice(r * v, v), atol: 1e-4, rtol: 0, what: $"token {r}");

        // positions: kept visual tokens keep their patch positions, the text after starts at slot + N
        var input = new VlmInference(vlm).Prepare(pixels, text, PruningHooks.Before(t => t.Select([keep])));
        Assert.Equal([0, 1, 2, 5, 6, 11, 17, 18, 19, 20], input.Positions);
        var reindexed = vlm.BuildInput(vlm.Projector.Forward(vlm.EncodeImages(pixels).Select([keep]).Features), [keep], text, reindex: true);
        Assert.Equal(Enumerable.Range(0, 10).ToArray(), reindexed.Positions);
    }

    [Fact]
    public void BatchOfThreeImagesGivesEachTheLogitsOfBatchOne()
    {
        var vlm = new LlavaModel(TinyModels.Llava(), new Generator(3));
        using var _ = Autograd.NoGrad();
        var pixels = TinyModels.Pixels(3, 5);
        var batch = new VlmInference(vlm).Forward(pixels, Texts, lastLogitsOnly: true).Logits;
        for (int i = 0; i < 3; i++)
        {
            var one = new VlmInference(vlm).Forward(pixels.Slice(0, i, i + 1), [Texts[i]], lastLogitsOnly: true).Logits;
            Tolerance.AssertClose(one.Data, batch.Slice(0, i, i + 1).Data, atol: 1e-4, rtol: 0, what: $"image {i}");
        }
    }

    [Fact]
    public void InLlmDroppingShrinksTheKvCacheAndCachedDecodingEqualsRecomputation()
    {
        var vlm = new LlavaModel(TinyModels.Llava(), new Generator(6));
        var lm = vlm.LanguageModel;
        using var _ = Autograd.NoGrad();
        var prompt = new VlmInference(vlm).Prepare(TinyModels.Pixels(1, 7), [Texts[0]]);
        int t = prompt.Positions.Length, start = prompt.ImageSpans![0].Start;
        int[] keepImage = [1, 2, 8, 13];
        var keep = Enumerable.Range(0, t).Where(i => i < start || i >= start + 16 || keepImage.Contains(i - start)).ToArray();
        var dropper = new FixedTokenDropper(2, [keep], t);

        var cache = new KvCache(lm.Config.NumLayers, 1);
        var output = lm.Forward(prompt with { Cache = cache, Droppers = [dropper] });
        Assert.Equal(t, cache[0].Length);
        Assert.Equal(t, cache[1].Length);
        Assert.Equal(keep.Length, cache[2].Length);
        Assert.Equal(keep.Length, cache[3].Length);
        Assert.Equal(new ImageSpan(start, 4), output.ImageSpans![0]);

        var sampling = new SamplingOptions(1f, 8, Seed: 9);
        var cached = Generation.Generate(lm, prompt with { Droppers = [dropper] }, 8, sampling, useCache: true)[0];
        var recomputed = Generation.Generate(lm, prompt with { Droppers = [dropper] }, 8, sampling, useCache: false)[0];
        Assert.Equal(recomputed, cached);
    }

    [Fact]
    public void TextWithoutExactlyOneImageTokenIsRejected()
    {
        var vlm = new LlavaModel(TinyModels.Llava(), new Generator(1));
        var msg = Assert.Throws<ArgumentException>(() => new VlmInference(vlm).Forward(TinyModels.Pixels(1, 1), [[1, 5, 6]])).Message;
        Assert.Contains("0 image tokens", msg);
        Assert.Contains("(batch, 3, 16, 16)", Assert.Throws<ArgumentException>(() => new VlmInference(vlm).Forward(Tensor.Zeros(1, 3, 8, 8), [[1, 3]])).Message);
    }
}
