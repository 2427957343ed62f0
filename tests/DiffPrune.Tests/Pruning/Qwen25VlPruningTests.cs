using DiffPrune.Models.Llama;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors;
using DiffPrune.Tests.Models;

namespace DiffPrune.Tests.Pruning;

/// <summary>Named methods on the Qwen2.5-VL-style model through the same hooks as on LLaVA: what they keep carries its
/// original M-RoPE ids in all three planes, before the LLM (Random, DiffPrune at a rate on images of different sizes) and
/// inside it (FastV).</summary>
public class Qwen25VlPruningTests
{
    static int[] Prompt(Qwen25VlModel vlm) => [1, 5, .. vlm.ImagePlaceholders(vlm.Config.Vision.Grid(6, 8)), 7, 9, 11];

    [Fact]
    public void RandomPrunersKeptTokensCarryTheirOriginalIds()
    {
        var vlm = new Qwen25VlModel(Qwen25VlModelTests.Tiny(), new Generator(1));
        var pixels = Qwen25VlModelTests.Pixels(2);
        var text = Prompt(vlm);
        var random = new RandomPruner(5, seed: 3);
        int[] kept = [];
        var hooks = new PruningHooks(t => { var r = random.Prune(t); kept = r.PatchIndex[0]; return r; }, []);
        using var _ = Autograd.NoGrad();
        var pruned = vlm.Prepare([pixels], [text], hooks);
        var full = vlm.Prepare([pixels], [text]);
        Assert.Equal(5, kept.Length);
        int[] rows = [0, 1, 2, .. kept.Select(j => 3 + j), 15, 16, 17, 18];
        Assert.Equal(PositionPlanes.Keep(full.Positions, 19, [rows]), pruned.Positions);
        Assert.Equal(new ImageSpan(3, 5), pruned.ImageSpans![0]);
    }

    [Fact]
    public void FastVInsideTheLlmKeepsTheIdsOfWhatStays()
    {
        var vlm = new Qwen25VlModel(Qwen25VlModelTests.Tiny(), new Generator(4));
        var pixels = Qwen25VlModelTests.Pixels(5);
        var text = Prompt(vlm);
        var fastV = new FastVPruner(4, 12, vlm.Config.Text.NumLayers);
        using var _ = Autograd.NoGrad();
        var input = vlm.Prepare([pixels], [text], fastV);
        var output = vlm.LanguageModel.Forward(input);
        var keep = Assert.Single(output.Decisions).Keep;
        Assert.Equal(3 + 4 + 4, keep[0].Length);
        Assert.Equal([0, 1, 2], keep[0][..3]);
        Assert.Equal([15, 16, 17, 18], keep[0][^4..]);
        Assert.Equal(PositionPlanes.Keep(input.Positions, 19, keep), output.Positions);
        Assert.Equal(4, vlm.Generate([pixels], [text], fastV, maxNewTokens: 4, eosId: null)[0].Length);
    }

    /// <summary>Sample <paramref name="sample"/>'s ids in every plane (planes·T_i), without its left padding.</summary>
    static int[] OwnIds(DecoderInput input, int batch, int sample)
    {
        int len = input.Valid!.Length / batch, pad = input.Valid.AsSpan(sample * len, len).IndexOf(true);
        var ids = PositionPlanes.OfSample(input.Positions, batch, len, sample);
        return Enumerable.Range(0, PositionPlanes.Multimodal).SelectMany(p => ids[(p * len + pad)..((p + 1) * len)]).ToArray();
    }

    [Fact]
    public void DiffPruneAtARateKeepsEachImagesShareWithItsOriginalIdsInAMixedBatch()
    {
        var vlm = new Qwen25VlModel(Qwen25VlModelTests.Tiny(), new Generator(6));
        var pixels = Qwen25VlModelTests.MixedPixels(7); // N = 12 (3 × 4), 8 (2 × 4), 10 (5 × 2)
        var texts = Qwen25VlModelTests.MixedPrompts(vlm, pixels, [1, 5], [[7, 9, 11], [8], [7, 9]]);
        int e = vlm.Config.Text.HiddenSize;
        var pruner = new TokenPruner(new TokenScorer(e, new Generator(8), heads: 2), new TokenPrunerConfig(e, 2, 2, Keep: 4));
        const double rate = 1.0 / 3; // K = 4, round(2.67) = 3, round(3.33) = 3
        var hooks = pruner.AtRate(rate);
        var answers = vlm.Generate(pixels, texts, hooks, maxNewTokens: 5, eosId: null);
        using var _ = Autograd.NoGrad();
        var (tokens, grids) = vlm.EncodeImages(pixels);
        var kept = pruner.PruneAtRate(tokens, rate).PatchIndex;
        Assert.Equal([4, 3, 3], kept.Select(k => k.Length).ToArray());
        Assert.Equal(kept, pruner.KeptIndices(tokens.Features, RaggedBudget.FromRate(rate, [12, 8, 10])));
        var pruned = vlm.Prepare(pixels, texts, hooks);
        var full = vlm.Prepare(pixels, texts);
        const int pre = 3; // 1, 5, vision start
        for (int i = 0; i < 3; i++)
        {
            int n = grids[i].Tokens, post = texts[i].Length - pre - n;
            int[] rows = [.. Enumerable.Range(0, pre), .. kept[i].Select(j => pre + j), .. Enumerable.Range(pre + n, post)];
            var ids = OwnIds(pruned, 3, i);
            Assert.Equal(PositionPlanes.Keep(OwnIds(full, 3, i), pre + n + post, [rows]), ids);
            int t = rows.Length, padding = pruned.Valid!.Length / 3 - t;
            Assert.Equal(new ImageSpan(padding + pre, kept[i].Length), pruned.ImageSpans![i]);
            for (int j = 0; j < kept[i].Length; j++)
            {
                // temporal s, height s + merged row, width s + merged column of the token's place in its own grid
                int patch = kept[i][j], cols = grids[i].MergedCols;
                Assert.Equal([pre, pre + patch / cols, pre + patch % cols], new[] { ids[pre + j], ids[t + pre + j], ids[2 * t + pre + j] });
            }
            // the text after the image resumes past the image's largest id: s + max(rows, cols) of its own grid
            int resume = pre + Math.Max(grids[i].MergedRows, grids[i].MergedCols);
            Assert.Equal(resume, ids[pre + kept[i].Length]);
            Assert.Equal(vlm.Generate([pixels[i]], [texts[i]], hooks, maxNewTokens: 5, eosId: null)[0], answers[i]);
        }
    }
}
