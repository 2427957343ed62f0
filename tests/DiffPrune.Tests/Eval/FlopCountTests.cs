using DiffPrune.Eval;
using DiffPrune.Eval.Profiling;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors;
using DiffPrune.Tests.Models;

namespace DiffPrune.Tests.Eval;

public class FlopCountTests
{
    // TinyModels.Llava(): vision 16 px / 4 px patches (N = 16), d_v = 24, MLP 48, 3 layers (2 up to layer −2);
    // LLaMA d = 32, SwiGLU 48, 4 layers, 4 heads of 8, 2 KV heads (d_kv = 16).
    static readonly LlavaConfig Tiny = TinyModels.Llava();

    static double VisionByHand()
    {
        double t = 17, embed = 2.0 * 16 * (3 * 4 * 4) * 24;
        double layer = 2 * t * 4 * 24 * 24 + 2 * 2 * t * t * 24 + 2 * t * 2 * 24 * 48;
        return embed + 2 * layer;
    }

    static double LayerByHand(double t) => 2 * t * (2 * 32 * 32 + 2 * 32 * 16) + 2 * 2 * t * t * 32 + 2 * t * 3 * 32 * 48;

    static double ProjectorByHand(double k) => 2 * k * (24 * 32 + 32 * 32);

    [Fact]
    public void CountsMatchHandWrittenFormulasForATinyConfig()
    {
        var schedule = TokenSchedule.FromStages(16, 21, 4, [2], [9]);
        Assert.Equal([21, 21, 9, 9], schedule.LayerTokens);
        var flops = FlopCount.Of(Tiny, schedule);
        Assert.Equal(VisionByHand(), flops.Vision, 6);
        Assert.Equal(ProjectorByHand(16), flops.Projector, 6);
        Assert.Equal(2 * LayerByHand(21) + 2 * LayerByHand(9), flops.Decoder, 6);
        Assert.Equal(flops.Vision + flops.Projector + flops.Decoder, flops.Total, 6);
        Assert.Equal(4 * LayerByHand(21), Tiny.Text.PrefillFlops(21), 6);
    }

    [Fact]
    public void AnInLlmMethodCostsBetweenVanillaAndItsPreLlmEquivalent()
    {
        var vlm = new LlavaModel(Tiny, new Generator(1));
        var pixels = TinyModels.Pixels(1, 2);
        int[] prompt = [1, 3, 7, 8, 9, 10];  // 5 text tokens and the image
        var vanilla = TokenSchedule.Observe(vlm, new Vanilla(16), pixels, prompt);
        var fastV = TokenSchedule.Observe(vlm, new FastVPruner(4, 16, 4), pixels, prompt);
        var random = TokenSchedule.Observe(vlm, new RandomPruner(4, 0), pixels, prompt);
        Assert.Equal([21, 21, 21, 21], vanilla.LayerTokens);
        Assert.Equal([21, 21, 9, 9], fastV.LayerTokens);  // layers 0 and 1 see all 16 image tokens, FastV drops before layer 2
        Assert.Equal(16, fastV.ProjectedTokens);
        Assert.Equal([9, 9, 9, 9], random.LayerTokens);
        Assert.Equal(4, random.ProjectedTokens);
        double v = FlopCount.Of(Tiny, vanilla).Total, f = FlopCount.Of(Tiny, fastV).Total, r = FlopCount.Of(Tiny, random).Total;
        Assert.True(r < f && f < v, $"pre-LLM {r} < in-LLM {f} < vanilla {v}");
        Assert.Equal(2 * (LayerByHand(21) - LayerByHand(9)) + ProjectorByHand(16) - ProjectorByHand(4), f - r, 6);
    }

    [Fact]
    public void UnprunedLlava15At64TextTokensCostsThePapers889TeraFlops()
    {
        var target = LlavaConfig.Llava15_7B();
        var flops = FlopCount.Of(target, TokenSchedule.Constant(576, 576 + 64, 32));
        Assert.Equal(8.89, flops.Total / 1e12, 2); // paper Table 4, "Full (LLaVA)"
        var pruned = FlopCount.Of(target, TokenSchedule.Constant(64, 64 + 64, 32));
        Assert.InRange(pruned.Total / 1e12, 2.0, 2.13); // the paper's pre-LLM methods: 2.13–2.15 T
    }

    [Fact]
    public void ANarrowStandInGivesThe32LayerScheduleOfMultiStageMethods()
    {
        // LLaVA-1.5's N = 576 and 32 layers, 8 wide: what the LLaVA-width profile reads schedules from
        var narrow = new LlavaModel(new LlavaConfig
        {
            Vision = new VisionConfig { ImageSize = 336, PatchSize = 14, HiddenSize = 8, IntermediateSize = 8, NumLayers = 2, NumHeads = 2 },
            Text = new LlamaConfig { VocabSize = 16, HiddenSize = 8, IntermediateSize = 8, NumLayers = 32, NumHeads = 2, NumKvHeads = 2 },
            ImageTokenId = 3,
        }, new Generator(3));
        var pixels = Tensor.Randn(new Generator(4), [1, 3, 336, 336]);
        int[] prompt = [1, 3, .. Enumerable.Range(0, 63).Select(i => 4 + i % 12)];
        var pDrop = new PyramidDropPruner(64, 576, 32);
        var schedule = TokenSchedule.Observe(narrow, pDrop, pixels, prompt);
        int[] expected = [.. Enumerable.Repeat(640, 8), .. pDrop.StageCounts.SelectMany(c => Enumerable.Repeat(c + 64, 8))];
        Assert.Equal(expected, schedule.LayerTokens);
        Assert.Equal("640 × 8, 341 × 8, 197 × 8, 128 × 8", schedule.Describe());
        var fastV = TokenSchedule.Observe(narrow, PruningMethods.Create("FastV", narrow, 64), pixels, prompt);
        Assert.Equal("640 × 2, 128 × 30", fastV.Describe());
    }

    [Fact]
    public void GroupedQueryAttentionAndQkvBiasesAreCountedPerLayer()
    {
        // d = 24, 4 query heads of 6, 2 KV heads (d_kv = 12), SwiGLU 32; biases on q (24), k (12) and v (12)
        var text = new LlamaConfig { HiddenSize = 24, IntermediateSize = 32, NumLayers = 3, NumHeads = 4, NumKvHeads = 2 };
        double t = 7;
        double plain = 2 * t * (24 * 24 + 24 * 12 + 24 * 12 + 24 * 24) + 2 * 2 * t * t * 24 + 2 * t * 3 * 24 * 32;
        Assert.Equal(plain, text.LayerFlops(7), 6);
        Assert.Equal(plain + t * (24 + 12 + 12), (text with { AttentionBias = true }).LayerFlops(7), 6);
        // a KV head per query head is plain multi-head attention: k and v as wide as q
        Assert.Equal(plain + 2 * 2 * t * 24 * 12, (text with { NumKvHeads = 4 }).LayerFlops(7), 6);
    }

    [Fact]
    public void QwenVisionTowerCountsWindowedBlocksPerWindowAndFullBlocksOverTheImage()
    {
        // 4 blocks (block 3 full), d = 16, SwiGLU 24, 2 px patches, 2 frames, 2 × 2 merge into 24 wide; windows of 8 px = 2 × 2 merged units
        var vision = new Qwen25VisionConfig
        {
            Depth = 4,
            HiddenSize = 16,
            IntermediateSize = 24,
            NumHeads = 2,
            OutHiddenSize = 24,
            PatchSize = 2,
            WindowSize = 8,
            FullAttentionBlocks = [3],
        };
        var grid = vision.Grid(6, 10);  // 60 patches, merged 3 × 5: windows of 2 × 2, 2 × 2, 2 × 1 units over 2 + 1 merged rows
        double t = 60, patch = 3 * 2 * 2 * 2;
        double embed = 2 * t * patch * 16;
        double block = 2 * t * 4 * 16 * 16 + t * 4 * 16 + 2 * t * 3 * 16 * 24 + t * (2 * 24 + 16);
        double windowed = 2 * 2 * 16 * (16.0 * 16 + 16 * 16 + 8 * 8 + 8 * 8 + 8 * 8 + 4 * 4);  // windows of 16, 16, 8 / 8, 8, 4 patches
        double full = 2 * 2 * t * t * 16;
        double merger = 2 * 15 * (64 * 64 + 64 * 24) + 15 * (64 + 24);
        Assert.Equal(embed + 4 * block + 3 * windowed + full + merger, vision.Flops(grid), 6);
        Assert.Equal(embed + 2 * block + 2 * windowed + merger, vision.Flops(grid, 2), 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => vision.Flops(grid, 5));

        var text = new LlamaConfig { HiddenSize = 24, IntermediateSize = 32, NumLayers = 2, NumHeads = 4, NumKvHeads = 2, AttentionBias = true, MropeSection = [1, 1, 1] };
        var flops = FlopCount.OfQwen25(vision, grid, text, TokenSchedule.FromStages(15, 19, 2, [1], [6]));
        Assert.Equal((vision.Flops(grid), 0, text.LayerFlops(19) + text.LayerFlops(6)), (flops.Vision, flops.Projector, flops.Decoder));
    }

    [Fact]
    public void LlavaNextEncodesEveryViewAndProjectsOnlyVisualTokens()
    {
        var flops = FlopCount.Of(Tiny, TokenSchedule.Constant(80, 93, 4), views: 5);
        Assert.Equal(5 * VisionByHand(), flops.Vision, 6);
        Assert.Equal(ProjectorByHand(80), flops.Projector, 6);
        Assert.Throws<ArgumentException>(() => FlopCount.Of(Tiny, TokenSchedule.Constant(80, 93, 4), views: 0));
    }

    [Fact]
    public void The7BTargetsHaveThePapersTokenCounts()
    {
        var next = LlavaConfig.LlavaNext7B();
        Assert.Equal(2880, next.MaxVisualTokens);
        Assert.Equal(320, BudgetFractions.Keep(1.0 / 9, 2880));  // paper Table 2
        var qwen = Qwen25WidthTarget.Qwen25VL7B().Validate();
        Assert.Equal((29, 38, 1102), (qwen.Grid.MergedRows, qwen.Grid.MergedCols, qwen.VisualTokens));
        Assert.Equal(122, BudgetFractions.Keep(1.0 / 9, qwen.VisualTokens));
        Assert.Equal((28, 3584, 28, 4, 18944, true), (qwen.Text.NumLayers, qwen.Text.HiddenSize, qwen.Text.NumHeads, qwen.Text.NumKvHeads, qwen.Text.IntermediateSize, qwen.Text.AttentionBias));
        // the GQA layer at 1,166 tokens, by hand: k and v project to 4 × 128 = 512
        double t = 1166, d = 3584;
        Assert.Equal(2 * t * (2 * d * d + 2 * d * 512) + t * (d + 1024) + 4 * t * t * d + 6 * t * d * 18944, qwen.Text.LayerFlops(1166), 0);
    }

    [Fact]
    public void BadSchedulesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => TokenSchedule.FromStages(16, 21, 4, [0], [9]));
        Assert.Throws<ArgumentException>(() => TokenSchedule.FromStages(16, 21, 4, [2, 2], [9, 8]));
        Assert.Throws<ArgumentException>(() => TokenSchedule.FromStages(16, 21, 4, [2], []));
        var e = Assert.Throws<ArgumentException>(() => FlopCount.Of(Tiny, TokenSchedule.Constant(16, 21, 3)));
        Assert.Contains("3 layers", e.Message);
    }
}
