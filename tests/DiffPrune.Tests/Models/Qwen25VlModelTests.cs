using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Models;

/// <summary>
/// The Qwen2.5-VL-style VLM at a toy size: the composed forward against a hand composition (tower output in the embeddings,
/// the language model on Qwen25RopeIndex's planes), pre-LLM hard top-K against the unpruned sequence with the dropped tokens
/// masked out of attention, in-LLM dropping, generation, batches of images of different sizes against each image alone and
/// the refusals of prompts and batches it cannot place.
/// </summary>
public class Qwen25VlModelTests
{
    public const int VisionStart = 35, VisionEnd = 36, ImagePad = 37;

    /// <summary>Head dim 16 in the language model (M-RoPE sections 2 + 3 + 3 pairs), 2 × 2 merged-unit windows in the tower.</summary>
    public static Qwen25VlConfig Tiny(bool tied = false) => new()
    {
        Vision = new Qwen25VisionConfig
        {
            Depth = 2,
            HiddenSize = 16,
            NumHeads = 2,
            IntermediateSize = 24,
            OutHiddenSize = 32,
            PatchSize = 2,
            WindowSize = 8,
            FullAttentionBlocks = [1],
        },
        Text = TinyModels.Llama(tied) with { NumLayers = 3, NumHeads = 2, NumKvHeads = 1, AttentionBias = true, MropeSection = [2, 3, 3] },
        ImageTokenId = ImagePad,
        VisionStartTokenId = VisionStart,
        VisionEndTokenId = VisionEnd,
    };

    /// <summary>An image of 6 × 8 patches: a 3 × 4 merged grid, 12 tokens (more columns than rows, so text resumes at s + 4).</summary>
    public static Tensor Pixels(ulong seed) => Tensor.Randn(new Generator(seed), [3, 12, 16]);

    /// <summary>Images of three grids: 6 × 8 patches (3 × 4 merged, 12 tokens), 4 × 8 (2 × 4, 8 tokens) and 10 × 4 (5 × 2,
    /// 10 tokens: more rows than columns, so text after it resumes at s + 5).</summary>
    public static Tensor[] MixedPixels(ulong seed) =>
        [Pixels(seed), Tensor.Randn(new Generator(seed + 1), [3, 8, 16]), Tensor.Randn(new Generator(seed + 2), [3, 20, 8])];

    /// <summary>Per image, <paramref name="before"/>, its own grid's placeholders, <paramref name="after"/>[i] (texts of different lengths).</summary>
    public static int[][] MixedPrompts(Qwen25VlModel vlm, Tensor[] pixels, int[] before, int[][] after) =>
        pixels.Select((p, i) => (int[])[.. before, .. vlm.ImagePlaceholders(vlm.Config.Vision.Grid(p.Shape[1] / 2, p.Shape[2] / 2)), .. after[i]]).ToArray();

    /// <summary><paramref name="before"/>, the image's placeholders, <paramref name="after"/>.</summary>
    static int[] Prompt(Qwen25VlModel vlm, int[] before, int[] after) => [.. before, .. vlm.ImagePlaceholders(vlm.Config.Vision.Grid(6, 8)), .. after];

    [Fact]
    public void ComposedLogitsEqualTheTowerInsertedByHand()
    {
        var vlm = new Qwen25VlModel(Tiny(), new Generator(1));
        var pixels = Pixels(2);
        int[] before = [1, 5], after = [7, 9, 11];
        var text = Prompt(vlm, before, after);
        using var _ = Autograd.NoGrad();
        var logits = vlm.Forward([pixels], [text]).Logits;

        var lm = vlm.LanguageModel;
        var tokens = vlm.Visual.Encode(pixels).Tokens; // (12, 32)
        var embeds = Tensor.Cat([lm.Embed(new IntTensor([1, 5, VisionStart], 1, 3)), tokens.Reshape(1, 12, 32), lm.Embed(new IntTensor([VisionEnd, 7, 9, 11], 1, 4))], 1);
        var byHand = lm.Forward(new DecoderInput(embeds, Qwen25RopeIndex.ForImage(3, 3, 4, 4))).Logits;
        Tolerance.AssertClose(byHand, logits, atol: 0, rtol: 0);

        // the planes matter: the same embeddings at ordinary positions 0..18 give other logits
        var sequential = lm.Forward(new DecoderInput(embeds, Enumerable.Range(0, 19).ToArray())).Logits;
        Assert.True(MaxDiff(sequential, logits) > 1e-3, "M-RoPE planes and plain positions gave the same logits");
    }

    [Fact]
    public void BatchedSamplesOfDifferentLengthsEqualEachAlone()
    {
        var vlm = new Qwen25VlModel(Tiny(), new Generator(3));
        Tensor a = Pixels(4), b = Pixels(5);
        int[] long_ = Prompt(vlm, [1, 5, 6], [7, 9]), short_ = Prompt(vlm, [1], [8]);
        using var _ = Autograd.NoGrad();
        var batched = vlm.Forward([a, b], [long_, short_]).Logits;
        var alone = vlm.Forward([b], [short_]).Logits;
        int pad = long_.Length - short_.Length;
        Tolerance.AssertClose(alone.ToArray(), batched.Slice(0, 1, 2).Slice(1, pad, batched.Shape[1]).ToArray(), atol: 1e-5, rtol: 1e-5);
        Tolerance.AssertClose(vlm.Forward([a], [long_]).Logits.ToArray(), batched.Slice(0, 0, 1).ToArray(), atol: 1e-5, rtol: 1e-5);
    }

    /// <summary>Hard top-K by the merged tokens' L2 norms (a stand-in for a scorer's logits).</summary>
    static PruningHooks TopKByNorm(int k) => PruningHooks.Before(t =>
    {
        var keep = new int[t.PatchIndex.Length][];
        for (int i = 0; i < keep.Length; i++)
        {
            var rows = t.Features.Slice(0, i, i + 1).Reshape(t.Count, -1).ToArray();
            int d = rows.Length / t.Count;
            keep[i] = Enumerable.Range(0, t.Count).OrderByDescending(j => rows.AsSpan(j * d, d).ToArray().Sum(x => x * x)).Take(k).ToArray();
        }
        return t.Select(keep);
    });

    [Fact]
    public void TopKPruningEqualsTheDroppedTokensMaskedOutWithOriginalPositions()
    {
        var vlm = new Qwen25VlModel(Tiny(), new Generator(6));
        var pixels = Pixels(7);
        var text = Prompt(vlm, [1, 5], [7, 9, 11]);
        const int k = 5, n = 12, pre = 3, post = 4;
        using var _ = Autograd.NoGrad();
        var pruned = vlm.Prepare([pixels], [text], TopKByNorm(k));
        var prunedLogits = vlm.LanguageModel.Forward(pruned).Logits;       // (1, 3 + 5 + 4, V)

        var (tokens, grids) = vlm.EncodeImages([pixels]);
        var kept = TopKByNorm(k).PreLlm!(tokens).PatchIndex[0];
        Assert.Equal(k, kept.Distinct().Count());
        Assert.True(kept.SequenceEqual(kept.Order()), "kept tokens must stay in their original order");
        var full = vlm.BuildInput(tokens.Features, tokens.PatchIndex, [text], grids);
        var valid = full.Valid!.ToArray();
        for (int j = 0; j < n; j++) valid[pre + j] = kept.Contains(j);
        var masked = vlm.LanguageModel.Forward(full with { Valid = valid }).Logits; // (1, 3 + 12 + 4, V)

        int[] rows = [.. Enumerable.Range(0, pre), .. kept.Select(j => pre + j), .. Enumerable.Range(pre + n, post)];
        Assert.Equal(PositionPlanes.Keep(full.Positions, pre + n + post, [rows]), pruned.Positions);
        Tolerance.AssertClose(masked.IndexSelect(1, rows).ToArray(), prunedLogits.ToArray(), atol: 1e-5, rtol: 1e-5);

        // renumbering the kept tokens as a 1 × K image (text resuming at s + K) must be told apart
        var renumbered = vlm.LanguageModel.Forward(pruned with { Positions = Qwen25RopeIndex.ForImage(pre, 1, k, post) }).Logits;
        Assert.True(MaxDiff(renumbered, prunedLogits) > 1e-3, "renumbered positions gave the logits of the original ones");
    }

    [Fact]
    public void InLlmDroppingKeepsAllThreeIdsOfWhatStays()
    {
        var vlm = new Qwen25VlModel(Tiny(), new Generator(8));
        var text = Prompt(vlm, [1, 5], [7, 9]);
        using var _ = Autograd.NoGrad();
        var input = vlm.Prepare([Pixels(9)], [text]);
        int t = input.Valid!.Length;
        int[] keep = [0, 1, 2, 4, 9, 13, 15, 16, 17];
        var output = vlm.LanguageModel.Forward(input with { Droppers = [new FixedTokenDropper(2, [keep], t)] });
        Assert.Equal(PositionPlanes.Keep(input.Positions, t, [keep]), output.Positions);
        Assert.Equal(new ImageSpan(3, 3), output.ImageSpans![0]);
        Assert.Equal(new ImageSpan(3, 12), input.ImageSpans![0]);
    }

    [Fact]
    public void GenerationWithTheCacheEqualsRecomputationAndStartsAtTheForwardsArgmax()
    {
        var vlm = new Qwen25VlModel(Tiny(), new Generator(10));
        Tensor a = Pixels(11), b = Pixels(12);
        int[][] texts = [Prompt(vlm, [1, 5, 6], [7]), Prompt(vlm, [2], [8, 9])];
        foreach (var method in new IPruningHooks?[] { null, TopKByNorm(4) })
        {
            var cached = vlm.Generate([a, b], texts, method, maxNewTokens: 6, eosId: null);
            int[][] recomputed;
            using (Autograd.NoGrad())
                recomputed = Generation.Generate(vlm.LanguageModel, vlm.Prepare([a, b], texts, method), 6, SamplingOptions.Greedy, useCache: false);
            Assert.Equal(recomputed, cached);
            Assert.All(cached, ids => Assert.Equal(6, ids.Length));
            using (Autograd.NoGrad())
            {
                var last = vlm.Forward([b], [texts[1]], method, lastLogitsOnly: true).Logits.ToArray();
                Assert.Equal(Array.IndexOf(last, last.Max()), cached[1][0]);
            }
        }
    }

    [Fact]
    public void AnswerLossScoresTheAnswerTokensThroughPrunedTokens()
    {
        var vlm = new Qwen25VlModel(Tiny(), new Generator(13));
        var text = Prompt(vlm, [1, 5], [7, 9, 11]);
        var isAnswer = text.Select((_, j) => j >= text.Length - 2).ToArray();
        var (tokens, grids) = vlm.EncodeImages([Pixels(14)]);
        var features = tokens.Features.Detach();
        features.RequiresGrad = true;
        var (loss, logits, targets) = vlm.AnswerLoss(tokens with { Features = features }, grids, TopKByNorm(6), [text], [isAnswer]);
        // rows 3 + 6 + 4 = 13: the last two text tokens (9, 11) are predicted from the two rows before them
        Assert.Equal(13, logits.Shape[0]);
        Assert.Equal([.. Enumerable.Repeat(-100, 10), 9, 11, -100], targets);
        loss.Backward();
        Assert.True(features.Grad!.ToArray().Any(g => g != 0), "no gradient reached the merged tokens");
    }

    [Fact]
    public void PromptsAndBatchesItCannotPlaceAreRefused()
    {
        var vlm = new Qwen25VlModel(Tiny(), new Generator(15));
        var pixels = Pixels(16);
        var text = Prompt(vlm, [1], [7]);
        string Fails(int[] ids) => Assert.Throws<ArgumentException>(() => vlm.Prepare([pixels], [ids])).Message;
        Assert.Contains("12 image placeholders", Fails([1, VisionStart, ImagePad, VisionEnd, 7]));
        Assert.Contains("it holds 11 placeholders", Fails(text.Where((_, j) => j != 3).ToArray()));
        Assert.Contains("vision start", Fails(text.Where((_, j) => j != 1).ToArray()));
        Assert.Contains("vision end", Fails([.. text[..^2], 7]));
        // an image of another grid (2 × 4 merged: 8 tokens) needs a text of its own placeholders
        var other = Assert.Throws<ArgumentException>(() => vlm.Prepare([pixels, Tensor.Randn(new Generator(1), [3, 8, 16])], [text, text])).Message;
        Assert.Contains("text of sample 1", other);
        Assert.Contains("8 image placeholders", other);
        VisualTokens? seen = null; // a method that reads attentions gets each token's global attention (no CLS token to read)
        vlm.Prepare([pixels], [text], new PruningHooks(t => seen = t, [], NeedsVisionAttentions: true));
        Assert.Equal(12, seen!.GlobalAttention!.Single().Length);
        vlm.Prepare([pixels], [text], PruningHooks.Before(t => seen = t));
        Assert.Null(seen.GlobalAttention);
        Assert.Contains("out_hidden_size 24", Assert.Throws<ArgumentException>(() => new Qwen25VlModel(Tiny() with { Vision = Tiny().Vision with { OutHiddenSize = 24 } }, new Generator(1))).Message);
        Assert.Contains("mrope_section", Assert.Throws<ArgumentException>(() => new Qwen25VlModel(Tiny() with { Text = Tiny().Text with { MropeSection = null } }, new Generator(1))).Message);
        Assert.Contains("image_token_id 40", Assert.Throws<ArgumentException>(() => new Qwen25VlModel(Tiny() with { ImageTokenId = 40 }, new Generator(1))).Message);
    }

    [Fact]
    public void ImagesOfDifferentGridsEncodeIntoOnePaddedBatch()
    {
        var vlm = new Qwen25VlModel(Tiny(), new Generator(17));
        var pixels = MixedPixels(18);
        using var _ = Autograd.NoGrad();
        var (tokens, grids) = vlm.EncodeImages(pixels);
        Assert.Equal([12, 8, 10], Enumerable.Range(0, 3).Select(tokens.CountOf));
        Assert.Equal([3, 12, 32], tokens.Features.Shape);
        Assert.True(tokens.IsPadded);
        Assert.Equal([(3, 4), (2, 4), (5, 2)], grids.Select(g => (g.MergedRows, g.MergedCols)));
        Assert.Equal(grids, tokens.Grids);
        for (int i = 0; i < 3; i++)
        {
            // each image's tokens are the tower's on that image alone, then zeros
            var alone = vlm.Visual.Encode(pixels[i]).Tokens.ToArray();
            var row = tokens.Features.Slice(0, i, i + 1).ToArray();
            Assert.Equal(alone, row[..alone.Length]);
            Assert.All(row[alone.Length..], v => Assert.Equal(0f, v));
            Assert.Equal(Enumerable.Range(0, alone.Length / 32), tokens.PatchIndex[i]);
        }
    }

    [Fact]
    public void MixedGridsInOneBatchGiveEachSampleItsLogitsAndAnswersAlone()
    {
        var vlm = new Qwen25VlModel(Tiny(), new Generator(19));
        var pixels = MixedPixels(20);
        var texts = MixedPrompts(vlm, pixels, [1, 5], [[7, 9], [8], [7, 9, 11, 6]]);
        foreach (var method in new IPruningHooks?[] { null, TopKByNorm(5) })
        {
            using (Autograd.NoGrad())
            {
                var batched = vlm.Forward(pixels, texts, method);
                int t = batched.Logits.Shape[1];
                for (int i = 0; i < 3; i++)
                {
                    var alone = vlm.Forward([pixels[i]], [texts[i]], method).Logits;
                    int pad = t - alone.Shape[1];
                    Assert.True(pad >= 0 && (method != null || pad == t - texts[i].Length), $"sample {i}: {pad} padding positions");
                    Tolerance.AssertClose(alone.ToArray(), batched.Logits.Slice(0, i, i + 1).Slice(1, pad, t).ToArray(), atol: 1e-5, rtol: 1e-5);
                }
            }
            var answers = vlm.Generate(pixels, texts, method, maxNewTokens: 5, eosId: null);
            for (int i = 0; i < 3; i++) Assert.Equal(vlm.Generate([pixels[i]], [texts[i]], method, maxNewTokens: 5, eosId: null)[0], answers[i]);
        }
    }

    [Fact]
    public void AnswerLossOfAMixedBatchIsEachSamplesAloneWeightedByItsAnswerTokens()
    {
        var vlm = new Qwen25VlModel(Tiny(), new Generator(21));
        var pixels = MixedPixels(22);
        var texts = MixedPrompts(vlm, pixels, [1], [[7, 9, 11], [8, 6], [7, 9, 11, 6, 4]]);
        var isAnswer = texts.Select(t => t.Select((_, j) => j >= t.Length - 2).ToArray()).ToArray();
        using var _ = Autograd.NoGrad();
        var (tokens, _) = vlm.EncodeImages(pixels);
        double batched = vlm.AnswerLoss(tokens, texts, isAnswer).Loss.Item();
        double alone = Enumerable.Range(0, 3).Sum(i => vlm.AnswerLoss(tokens.Sample(i), [texts[i]], [isAnswer[i]]).Loss.Item()) / 3; // two answer tokens each
        Assert.True(Math.Abs(batched - alone) <= 1e-5, $"batched answer loss {batched:R} vs samples alone {alone:R}");
        Assert.Contains("patch grids", Assert.Throws<ArgumentException>(() => vlm.AnswerLoss(tokens with { Grids = null }, texts, isAnswer)).Message);
    }

    static double MaxDiff(Tensor a, Tensor b) => a.ToArray().Zip(b.ToArray(), (x, y) => Math.Abs((double)x - y)).Max();
}
