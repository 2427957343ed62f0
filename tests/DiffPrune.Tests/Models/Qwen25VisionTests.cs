using DiffPrune.Models.Vision;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Tests.Golden;

namespace DiffPrune.Tests.Models;

/// <summary>
/// Qwen2.5-VL's vision tower against HF's Qwen2_5_VisionTransformerPretrainedModel in torch (qwen25_vision.bin: depth 3,
/// block 1 full attention, a 12 × 10 patch grid in 3 × 3 windows with short edge windows), its gradients by finite
/// differences, its patch order and windows by hand, and refusals of bad configs and grids.
/// </summary>
public class Qwen25VisionTests
{
    static readonly string[] Inputs = ["pixels", "pixel_values", "gy", "y"];

    static Qwen25VisionConfig GoldenConfig() => new()
    {
        Depth = 3,
        HiddenSize = 32,
        NumHeads = 2,
        IntermediateSize = 48,
        InChannels = 3,
        OutHiddenSize = 24,
        PatchSize = 2,
        SpatialMergeSize = 2,
        TemporalPatchSize = 2,
        WindowSize = 8,
        FullAttentionBlocks = [1],
    };

    static readonly Lazy<GoldenFile> Fixture = new(() => GoldenFile.LoadFixture("qwen25_vision.bin"));

    /// <summary>The model with the fixture's weights, loaded strictly: every HF name the fixture holds and nothing else.</summary>
    static Qwen25VisionModel Golden(Qwen25VisionConfig cfg)
    {
        var f = Fixture.Value;
        var model = new Qwen25VisionModel(cfg, new Generator(0));
        var weights = f.Names.Where(n => !Inputs.Contains(n) && !n.StartsWith("grad.", StringComparison.Ordinal));
        model.LoadStateDict(weights.ToDictionary(n => n, f.Tensor), source: f.Source);
        return model;
    }

    /// <summary>Within 1e-4 of the reference relative to its largest magnitude where that exceeds 1 (gradients sum over many tokens; the largest is ~19).</summary>
    static void Check(string what, float[] expected, ReadOnlySpan<float> actual)
    {
        float scale = Math.Max(1f, expected.Max(Math.Abs));
        Tolerance.AssertClose(expected, actual, atol: 1e-4 * scale, rtol: 0, what: what);
    }

    [Fact]
    public void MatchesHuggingFaceForwardAndBackward()
    {
        var f = Fixture.Value;
        var model = Golden(GoldenConfig());
        var output = model.Encode(f.Tensor("pixels"));
        Assert.Equal((6, 5), (output.Grid.MergedRows, output.Grid.MergedCols));
        output.Tokens.Backward(f.Tensor("gy"));
        Tolerance.AssertClose(f["y"].Data, output.Tokens.Data, atol: 1e-4, rtol: 0, what: "y");
        foreach (var (name, p) in model.NamedParameters()) Check("grad." + name, f["grad." + name].Data, p.Grad!.Data);
    }

    [Theory]
    [InlineData(false)] // the golden tower: its last block attends in windows
    [InlineData(true)]
    public void GlobalAttentionIsWhatEachMergeUnitReceivesInTheLastBlock(bool lastBlockFull)
    {
        var cfg = lastBlockFull ? GoldenConfig() with { FullAttentionBlocks = [1, 2] } : GoldenConfig();
        var model = Golden(cfg);
        var pixels = Fixture.Value.Tensor("pixels");
        using var _ = Autograd.NoGrad();
        var output = model.Encode(pixels, globalAttention: true);
        Assert.Equal(model.Encode(pixels).Tokens.ToArray(), output.Tokens.ToArray());
        Assert.Null(model.Encode(pixels).GlobalAttention);

        // the last block's probabilities, its input computed block by block
        var grid = output.Grid;
        int n = grid.Patches, unit = cfg.SpatialMergeSize * cfg.SpatialMergeSize;
        var at = Enumerable.Range(0, n).Select(grid.PatchAt).ToArray();
        int[] rows = at.Select(p => p.Item1).ToArray(), cols = at.Select(p => p.Item2).ToArray();
        var windowIds = grid.WindowIds(cfg.WindowMergedUnits);
        var windows = AttentionMask.Segments(windowIds, 1);
        var h = model.PatchEmbed.Forward(grid.Patchify(pixels, cfg.InChannels, cfg.PatchSize, cfg.TemporalPatchSize)).Reshape(1, n, cfg.HiddenSize);
        Tensor? probs = null;
        for (int l = 0; l < cfg.Depth; l++)
            (h, probs) = model.Blocks[l].Forward(h, rows, cols, cfg.FullAttentionBlocks.Contains(l) ? null : windows, returnProbs: l == cfg.Depth - 1);
        var expected = new float[n / unit];
        for (int t = 0; t < expected.Length; t++)
        {
            double sum = 0;
            for (int j = t * unit; j < (t + 1) * unit; j++)
                for (int head = 0; head < cfg.NumHeads; head++)
                    for (int i = 0; i < n; i++) sum += probs![0, head, i, j];
            expected[t] = (float)(sum / (cfg.NumHeads * n * unit));
        }
        Tolerance.AssertClose(expected, output.GlobalAttention!, atol: 1e-7, rtol: 1e-5, what: "global attention");
        // every query's row sums to 1: the units together receive 1/unit; in windows, each window what its own patches give
        Assert.Equal(1.0 / unit, output.GlobalAttention!.Sum(), 5);
        var windowOfToken = Enumerable.Range(0, n / unit).Select(t => windowIds[t * unit]).ToArray();
        double deviation = windowIds.Distinct().Max(window =>
            Math.Abs(Enumerable.Range(0, n / unit).Where(t => windowOfToken[t] == window).Sum(t => output.GlobalAttention![t])
                - windowIds.Count(w => w == window) / (double)(n * unit)));
        if (lastBlockFull) Assert.True(deviation > 1e-4, $"a full-attention block moved no attention between windows ({deviation})");
        else Assert.True(deviation < 1e-6, $"a windowed block moved attention between windows ({deviation})");
    }

    [Fact]
    public void GoldenTellsWindowsFromFullAttention()
    {
        // the same weights with every block attending over the whole image must miss the reference by far more than 1e-4
        var f = Fixture.Value;
        using var _ = Autograd.NoGrad();
        var y = Golden(GoldenConfig() with { FullAttentionBlocks = [0, 1, 2] }).Encode(f.Tensor("pixels")).Tokens;
        double worst = f["y"].Data.Zip(y.ToArray(), (a, b) => Math.Abs((double)a - b)).Max();
        Assert.True(worst > 1e-2, $"full attention everywhere is only {worst:G3} from the windowed reference");
    }

    [Fact]
    public void PatchifyIsTheImageProcessorsOrder()
    {
        var f = Fixture.Value;
        var cfg = GoldenConfig();
        var patches = cfg.Grid(12, 10).Patchify(f.Tensor("pixels"), cfg.InChannels, cfg.PatchSize, cfg.TemporalPatchSize);
        Tolerance.AssertClose(f.Tensor("pixel_values"), patches, atol: 0, rtol: 0);
    }

    [Fact]
    public void PatchesComeMergeGroupByMergeGroupAndTokensRowMajor()
    {
        var grid = new Qwen25VisionConfig().Grid(4, 6);
        Assert.Equal([(0, 0), (0, 1), (1, 0), (1, 1), (0, 2), (0, 3), (1, 2), (1, 3), (0, 4)], Enumerable.Range(0, 9).Select(grid.PatchAt));
        Assert.Equal((2, 0), grid.PatchAt(12));
        Assert.Equal([(0, 0), (0, 1), (0, 2), (1, 0)], Enumerable.Range(0, 4).Select(grid.TokenAt));
    }

    [Fact]
    public void WindowsTileTheMergedGridWithShortEdgeWindows()
    {
        // a 2 × 3 merged grid in windows of 2 × 2 units: units (r, 0..1) share window 1, the right-hand column is window 2
        var ids = new Qwen25VisionConfig().Grid(4, 6).WindowIds(2);
        int[] perUnit = [1, 1, 2, 1, 1, 2];
        Assert.Equal(perUnit.SelectMany(w => Enumerable.Repeat(w, 4)), ids);
    }

    [Fact]
    public void GradientsOfEveryParameterMatchFiniteDifferences()
    {
        // 6 × 4 patches, 3 × 2 merged units, windows of 2 × 2 units: the bottom window is one unit high; block 1 is full
        var cfg = new Qwen25VisionConfig
        {
            Depth = 2,
            HiddenSize = 8,
            NumHeads = 2,
            IntermediateSize = 8,
            InChannels = 1,
            OutHiddenSize = 4,
            PatchSize = 1,
            SpatialMergeSize = 2,
            TemporalPatchSize = 2,
            WindowSize = 4,
            FullAttentionBlocks = [1],
        };
        var model = new Qwen25VisionModel(cfg, new Generator(11));
        var grid = cfg.Grid(6, 4);
        var patches = GradCheck.Leaf(new Generator(12), grid.Patches, cfg.PatchVectorSize);
        GradCheck.Check(_ => model.Forward(patches, grid).Tokens, [patches, .. model.Parameters()]);
    }

    [Fact]
    public void BadConfigsAndGridsAreRefusedByName()
    {
        var gen = new Generator(0);
        var e = Assert.Throws<ArgumentException>(() => new Qwen25VisionModel(GoldenConfig() with { FullAttentionBlocks = [1, 3] }, gen));
        Assert.Contains("fullatt_block_indexes holds 3, outside the blocks 0..2", e.Message);
        Assert.Contains("repeats", Assert.Throws<ArgumentException>(() => (GoldenConfig() with { FullAttentionBlocks = [1, 1] }).Validate()).Message);
        Assert.Contains("window_size 6", Assert.Throws<ArgumentException>(() => (GoldenConfig() with { WindowSize = 6 }).Validate()).Message);
        Assert.Contains("hidden_size 24 / num_heads 4", Assert.Throws<ArgumentException>(() => (GoldenConfig() with { HiddenSize = 24, NumHeads = 4 }).Validate()).Message);
        var model = new Qwen25VisionModel(GoldenConfig(), gen);
        e = Assert.Throws<ArgumentException>(() => model.Encode(Tensor.Zeros(3, 14, 20)));
        Assert.Contains("7 × 10 patches cannot be merged", e.Message);
        e = Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros(120, 12), GoldenConfig().Grid(12, 10)));
        Assert.Contains("needs patches (120, 24)", e.Message);
    }
}
