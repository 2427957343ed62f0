using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Models;

/// <summary>
/// The Qwen2.5-VL-style VLM at a toy size: the composed forward against a hand composition (tower output in the embeddings,
/// the language model on Qwen25RopeIndex's planes), pre-LLM hard top-K against the unpruned sequence with the dropped tokens
/// masked out of attention, in-LLM dropping, generation and the refusals of prompts and batches it cannot place.
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
        var other = Assert.Throws<ArgumentException>(() => vlm.Prepare([pixels, Tensor.Randn(new Generator(1), [3, 8, 16])], [text, text])).Message;
        Assert.Contains("6 × 8 and 4 × 8 patches in one batch", other);
        var attentions = new PruningHooks(t => t, [], NeedsVisionAttentions: true);
        Assert.Contains("does not return", Assert.Throws<ArgumentException>(() => vlm.Prepare([pixels], [text], attentions)).Message);
        Assert.Contains("out_hidden_size 24", Assert.Throws<ArgumentException>(() => new Qwen25VlModel(Tiny() with { Vision = Tiny().Vision with { OutHiddenSize = 24 } }, new Generator(1))).Message);
        Assert.Contains("mrope_section", Assert.Throws<ArgumentException>(() => new Qwen25VlModel(Tiny() with { Text = Tiny().Text with { MropeSection = null } }, new Generator(1))).Message);
        Assert.Contains("image_token_id 40", Assert.Throws<ArgumentException>(() => new Qwen25VlModel(Tiny() with { ImageTokenId = 40 }, new Generator(1))).Message);
    }

    static double MaxDiff(Tensor a, Tensor b) => a.ToArray().Zip(b.ToArray(), (x, y) => Math.Abs((double)x - y)).Max();
}
