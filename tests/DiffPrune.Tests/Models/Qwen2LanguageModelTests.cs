using DiffPrune.Models.Llama;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Models;

/// <summary>
/// The LLaMA decoder as a Qwen2-VL / Qwen2.5-VL language model: M-RoPE over three position planes through the fused
/// path and the KV cache's, decoding after a prefill, and in-LLM token dropping.
/// </summary>
public class Qwen2LanguageModelTests
{
    /// <summary>Head dim 16: eight frequency pairs, two temporal, three height, three width (the golden M-RoPE test's sections).</summary>
    static LlamaConfig Qwen(bool mrope = true) =>
        TinyModels.Llama() with { NumHeads = 2, NumKvHeads = 1, AttentionBias = true, MropeSection = mrope ? [2, 3, 3] : null };

    static LlamaForCausalLM Model(bool mrope = true) => new(Qwen(mrope), new Generator(21));

    /// <summary>
    /// One sample's (temporal, height, width) ids as Qwen2-VL's get_rope_index lays them out: <paramref name="before"/>
    /// text tokens at equal ids, a rows × cols image at (s, s + r, s + c), then <paramref name="after"/> text tokens from
    /// s + max(rows, cols) on.
    /// </summary>
    static int[][] Layout(int before, int rows, int cols, int after)
    {
        var planes = new[] { new List<int>(), new List<int>(), new List<int>() };
        for (int j = 0; j < before; j++) foreach (var p in planes) p.Add(j);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                planes[0].Add(before);
                planes[1].Add(before + r);
                planes[2].Add(before + c);
            }
        for (int j = 0; j < after; j++) foreach (var p in planes) p.Add(before + Math.Max(rows, cols) + j);
        return planes.Select(p => p.ToArray()).ToArray();
    }

    /// <summary>Samples' layouts as the decoder takes them: plane by plane, each sample by sample.</summary>
    static int[] Stack(params int[][][] samples) => Enumerable.Range(0, 3).SelectMany(p => samples.SelectMany(s => s[p])).ToArray();

    static Tensor Embeds(LlamaForCausalLM lm, int batch, int tokens) =>
        lm.Embed(new IntTensor(Enumerable.Range(0, batch * tokens).Select(i => (7 * i + 3) % lm.Config.VocabSize).ToArray(), batch, tokens));

    static double MaxDiff(Tensor a, Tensor b) => a.ToArray().Zip(b.ToArray(), (x, y) => Math.Abs((double)x - y)).Max();

    [Fact]
    public void EqualPlanesGiveTheOutputsOfOrdinaryRope()
    {
        using var _ = Autograd.NoGrad();
        var mrope = Model();
        var plain = Model(mrope: false);
        int[] positions = [0, 1, 2, 5, 6, 9]; // non-contiguous, as after pruning
        var embeds = Embeds(plain, 1, positions.Length);
        var expected = plain.Forward(new DecoderInput(embeds, positions)).Logits;
        var threePlanes = new DecoderInput(embeds, [.. positions, .. positions, .. positions]);
        Tolerance.AssertClose(expected, mrope.Forward(threePlanes).Logits, atol: 1e-5, rtol: 0);
        Tolerance.AssertClose(expected, mrope.Forward(threePlanes with { Cache = new KvCache(mrope.Config.NumLayers, 1) }).Logits, atol: 1e-5, rtol: 0);
        // one plane is text: the path of a model without sections, bit for bit
        Tolerance.AssertClose(expected, mrope.Forward(new DecoderInput(embeds, positions)).Logits, atol: 0, rtol: 0);
    }

    [Fact]
    public void ImagePlanesChangeTheOutputAndCachedDecodingEqualsAFullForward()
    {
        using var _ = Autograd.NoGrad();
        var lm = Model();
        // text, a 2 × 3 image, text (next id 8); text, a 2 × 2 image, text (next id 9): 11 prompt tokens each, 3 decoded
        int prompt = 11, decoded = 3, t = prompt + decoded;
        var full = Stack(Layout(3, 2, 3, 2 + decoded), Layout(4, 2, 2, 3 + decoded));
        var embeds = Embeds(lm, 2, t);
        var reference = lm.Forward(new DecoderInput(embeds, full)).Logits; // fused token-major path

        var temporalOnly = lm.Forward(new DecoderInput(embeds, full[..(2 * t)])).Logits;
        Assert.True(MaxDiff(reference, temporalOnly) > 1e-3, $"the height and width planes changed the logits by only {MaxDiff(reference, temporalOnly):G3}");

        var cache = new KvCache(lm.Config.NumLayers, 2);
        var prefill = lm.Forward(new DecoderInput(embeds.Slice(1, 0, prompt), Stack(Layout(3, 2, 3, 2), Layout(4, 2, 2, 3))) { Cache = cache }).Logits;
        Tolerance.AssertClose(reference.Slice(1, 0, prompt), prefill, atol: 1e-4, rtol: 0);
        Assert.Equal([8, 9], cache.NextPosition);
        for (int step = prompt; step < t; step++)
        {
            // a decoded token takes the next id in every plane: one plane of ids
            var logits = lm.Forward(new DecoderInput(embeds.Slice(1, step, step + 1), (int[])cache.NextPosition.Clone()) { Cache = cache }).Logits;
            Tolerance.AssertClose(reference.Slice(1, step, step + 1), logits, atol: 1e-4, rtol: 0);
        }
        Assert.Equal([11, 12], cache.NextPosition);
    }

    [Fact]
    public void GenerationWithTheKvCacheEqualsRecomputationOverImagePlanes()
    {
        var lm = Model();
        var prompt = new DecoderInput(Embeds(lm, 2, 11), Stack(Layout(3, 2, 3, 2), Layout(4, 2, 2, 3)));
        var sampling = new SamplingOptions(Temperature: 1f, TopK: 10, Seed: 5);
        var cached = Generation.Generate(lm, prompt, 8, sampling, useCache: true);
        Assert.Equal(Generation.Generate(lm, prompt, 8, sampling, useCache: false), cached);
        Assert.True(cached[0].Distinct().Count() > 2, $"sampling produced too few distinct tokens: {string.Join(",", cached[0])}");
    }

    [Fact]
    public void DroppedTokensKeepTheirThreeIds()
    {
        using var _ = Autograd.NoGrad();
        var lm = Model();
        var positions = Stack(Layout(3, 2, 3, 2)); // image tokens 3..8
        int t = positions.Length / 3;
        var input = new DecoderInput(Embeds(lm, 1, t), positions) { ImageSpans = [new ImageSpan(3, 6)] };
        int[] keep = [0, 1, 2, 4, 8, 9, 10]; // image tokens at (row 0, column 1) and (row 1, column 2) stay
        var spy = new SpyDropper(3);
        var output = lm.Forward(input with { Droppers = [new FixedTokenDropper(2, [keep], t), spy] });

        // text 0, 1, 2; image (3, 3, 4) and (3, 4, 5); text 6, 7, plane by plane
        int[] kept = [0, 1, 2, 3, 3, 6, 7, /* height */ 0, 1, 2, 3, 4, 6, 7, /* width */ 0, 1, 2, 4, 5, 6, 7];
        Assert.Equal(kept, spy.Seen!.Positions);
        Assert.Equal(kept, output.Positions);

        // reference: layers 2 and 3 run by hand on the kept tokens' hidden states at those ids
        var atLayer2 = new SpyDropper(2);
        lm.Forward(input with { Droppers = [atLayer2] });
        var h = new TokenDropDecision([keep]).Gather(atLayer2.Seen!.Hidden.Clone());
        var valid = Enumerable.Repeat(true, keep.Length).ToArray();
        for (int l = 2; l < lm.Config.NumLayers; l++) h = lm.Model.Layers[l].Forward(h, kept, valid, null, l).Output;
        Tolerance.AssertClose(lm.Head(lm.Model.Norm.Forward(h)), output.Logits, atol: 1e-5, rtol: 0);

        // decoding after the drop continues past the largest kept id, with the cache as by recomputation
        var replay = input with { Droppers = [new FixedTokenDropper(2, [keep], t)] };
        var sampling = new SamplingOptions(Temperature: 1f, TopK: 8, Seed: 3);
        Assert.Equal(Generation.Generate(lm, replay, 6, sampling, useCache: false), Generation.Generate(lm, replay, 6, sampling, useCache: true));
    }

    [Fact]
    public void BadSectionsAndPlanesAreRefusedWithWhatIsWrong()
    {
        var bad = Assert.Throws<ArgumentException>(() => new LlamaForCausalLM(Qwen() with { MropeSection = [2, 2, 2] }, new Generator(0))).Message;
        Assert.Contains("mrope_section [2, 2, 2]", bad);
        Assert.Contains("head dim / 2 = 8", bad);
        Assert.Contains("mrope_section [4, 4]", Assert.Throws<ArgumentException>(() => (Qwen() with { MropeSection = [4, 4] }).Validate()).Message);

        var plain = Model(mrope: false);
        var embeds = Embeds(plain, 1, 3);
        Assert.Contains("no mrope_section", Assert.Throws<ArgumentException>(() => plain.Forward(new DecoderInput(embeds, new int[9]))).Message);
        Assert.Contains("7 position ids for 3 tokens", Assert.Throws<ArgumentException>(() => Model().Forward(new DecoderInput(embeds, new int[7]))).Message);
    }
}
