using System.Text.Json;
using DiffPrune.Eval;
using DiffPrune.Eval.Profiling;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Tests.Eval;

/// <summary>The 7B-width profiles run end to end at tiny widths: table structure, schedules and FLOP arithmetic (no timings asserted).</summary>
public class WidthProfileTests
{
    // 3 decoder layers held, 2 vision layers built, 5 text tokens (BOS and 4 after the image), 2 timed rounds
    static readonly LlavaWidthOptions Options = new(DecoderLayers: 3, VisionLayers: 2, TextTokens: 5, Runs: 2, Warmup: 0, Seed: 1);

    // LLaVA-NeXT at a width of 24: 16 px tiles of 4 px patches (g = 4), 6-layer LLM of width 32 (4 heads, 2 KV heads)
    static LlavaConfig TinyNext() => new()
    {
        Vision = new VisionConfig { ImageSize = 16, PatchSize = 4, HiddenSize = 24, IntermediateSize = 48, NumLayers = 3, NumHeads = 3, HiddenAct = Activation.QuickGelu },
        Text = new LlamaConfig { VocabSize = 256, HiddenSize = 32, IntermediateSize = 48, NumLayers = 6, NumHeads = 4, NumKvHeads = 2 },
        ImageTokenId = 3,
        ImageGridPinpoints = [(16, 32), (32, 16), (32, 32)],
    };

    [Fact]
    public void LlavaNextWidthProfilesTheTiledImageInItsOwnTable()
    {
        var selection = MethodSelection.Parse("random,visionzip,divprune,fastv,pyramiddrop", null);
        // a 32 × 32 image: the 2 × 2 pinpoint, 4 tiles and the base view, N = 16 + 8 × 8 = 80, 8 newlines
        var profile = EfficiencyProfile.AtLlavaNextWidth(selection, 1.0 / 9, Options, TinyNext(), (32, 32));
        Assert.Equal(["Vanilla", "Random", "DivPrune", "FastV", "PyramidDrop", EfficiencyProfile.UntrainedLabel], profile.Methods.Select(m => m.Label));
        Assert.Contains(profile.Notes, n => n.StartsWith("Not run: VisionZip", StringComparison.Ordinal));
        var table = profile.Run();
        Assert.Equal(("LLaVA-NeXT-7B width", 80, 9), (table.Title, table.VisualTokens, table.Keep));
        var rows = table.Rows.ToDictionary(r => r.Method);
        Assert.Equal([80, 9, 9, 9, 9, 9], table.Rows.Select(r => r.Keep));
        int text = 5, newlines = 8;
        Assert.Equal(Enumerable.Repeat(text + 80 + newlines, 6), rows["Vanilla"].Schedule.LayerTokens);
        Assert.Equal(Enumerable.Repeat(text + 9 + newlines, 6), rows["Random"].Schedule.LayerTokens);
        // FastV drops before layer 2 and keeps K of the image's span: to an in-LLM stage the newlines are image tokens too
        Assert.Equal([93, 93, 14, 14, 14, 14], rows["FastV"].Schedule.LayerTokens);
        Assert.Equal(80, rows["FastV"].Schedule.ProjectedTokens);
        Assert.Equal(9, rows[EfficiencyProfile.UntrainedLabel].Schedule.ProjectedTokens);

        var cfg = TinyNext();
        double vision = 5 * cfg.Vision.Flops(cfg.VisionLayersNeeded);  // every view through the tower
        Assert.Equal(vision + cfg.ProjectorFlops(80) + 6 * cfg.Text.LayerFlops(93), rows["Vanilla"].Flops.Total, 3);
        Assert.Equal(vision + cfg.ProjectorFlops(80) + 2 * cfg.Text.LayerFlops(93) + 4 * cfg.Text.LayerFlops(14), rows["FastV"].Flops.Total, 3);
        Assert.Equal(rows["Random"].Flops.Total, rows["DivPrune"].Flops.Total);
        CheckTable(table, [93, 22, 14]);
    }

    [Fact]
    public void LlavaWidthStillProfilesOneViewWithAttentionReadingMethods()
    {
        var cfg = TinyNext() with { ImageGridPinpoints = null };  // LLaVA-1.5's layout: one 16 px view, N = 16
        var profile = EfficiencyProfile.AtLlavaWidth(MethodSelection.Parse("random,visionzip,fastv", null), 1.0 / 4, Options, cfg);
        Assert.Equal(["Vanilla", "Random", "VisionZip", "FastV", EfficiencyProfile.UntrainedLabel], profile.Methods.Select(m => m.Label));
        Assert.DoesNotContain(profile.Notes, n => n.StartsWith("Not run", StringComparison.Ordinal));
        var table = profile.Run();
        Assert.Equal(("LLaVA-1.5-7B width", 16, 4), (table.Title, table.VisualTokens, table.Keep));
        var rows = table.Rows.ToDictionary(r => r.Method);
        Assert.Equal(Enumerable.Repeat(5 + 4, 6), rows["VisionZip"].Schedule.LayerTokens);
        Assert.Equal([21, 21, 9, 9, 9, 9], rows["FastV"].Schedule.LayerTokens);
        double vision = cfg.Vision.Flops(cfg.VisionLayersNeeded);  // one view
        Assert.Equal(vision + cfg.ProjectorFlops(16) + 6 * cfg.Text.LayerFlops(21), rows["Vanilla"].Flops.Total, 3);
        Assert.Equal(vision + cfg.ProjectorFlops(4) + 6 * cfg.Text.LayerFlops(9), rows["VisionZip"].Flops.Total, 3);
        CheckTable(table, [21, 9]);
        Assert.Throws<ArgumentException>(() => EfficiencyProfile.AtLlavaWidth(MethodSelection.Parse("random", null), 1.0 / 4, Options, TinyNext()));
    }

    // Qwen2.5-VL at a width of 16 (tower) / 24 (LLM): 2 px patches merged 2 × 2, 8 px windows, block 3 full attention;
    // 5-layer Qwen2-shaped LLM (4 heads of 6, 2 KV heads, q/k/v biases, M-RoPE [1, 1, 1]); a 12 × 20-pixel image
    static Qwen25WidthTarget TinyQwen() => new(
        new Qwen25VisionConfig { Depth = 4, HiddenSize = 16, IntermediateSize = 24, NumHeads = 2, OutHiddenSize = 24, PatchSize = 2, WindowSize = 8, FullAttentionBlocks = [3] },
        new LlamaConfig { VocabSize = 256, HiddenSize = 24, IntermediateSize = 32, NumLayers = 5, NumHeads = 4, NumKvHeads = 2, AttentionBias = true, MropeSection = [1, 1, 1] },
        6, 10);

    [Fact]
    public void Qwen25WidthProfilesTheMergedTokensInItsOwnTable()
    {
        var selection = MethodSelection.Parse("random,uniform,visionzip,divprune,fastv,sparsevlm", null);
        var target = TinyQwen();
        var profile = EfficiencyProfile.AtQwen25Width(selection, 1.0 / 3, Options, target);
        Assert.Equal(["Vanilla", "Random", "Uniform", "DivPrune", "FastV", "SparseVLM", EfficiencyProfile.UntrainedLabel], profile.Methods.Select(m => m.Label));
        Assert.Contains(profile.Notes, n => n.StartsWith("Not run: VisionZip", StringComparison.Ordinal));
        var table = profile.Run();
        Assert.Equal(("Qwen2.5-VL-7B width", 15, 5), (table.Title, table.VisualTokens, table.Keep));  // 3 × 5 merged tokens, K = round(15 / 3)
        var rows = table.Rows.ToDictionary(r => r.Method);
        Assert.Equal([15, 5, 5, 5, 5, 5, 5], table.Rows.Select(r => r.Keep));
        int text = 5;
        Assert.Equal(Enumerable.Repeat(text + 15, 5), rows["Vanilla"].Schedule.LayerTokens);
        Assert.Equal(Enumerable.Repeat(text + 5, 5), rows["Uniform"].Schedule.LayerTokens);
        Assert.Equal([20, 20, 10, 10, 10], rows["FastV"].Schedule.LayerTokens);
        var sparse = rows["SparseVLM"].Schedule.LayerTokens;  // its stages shrink the image step by step, never below text and one token
        Assert.True(sparse[0] == 20 && sparse.Zip(sparse.Skip(1)).All(p => p.First >= p.Second) && sparse[^1] is > 5 and <= 10, string.Join(", ", sparse));

        double vision = target.Vision.Flops(target.Grid);
        Assert.All(table.Rows, r => Assert.Equal((vision, 0.0), (r.Flops.Vision, r.Flops.Projector)));  // no projector after the merger
        Assert.Equal(vision + 5 * target.Text.LayerFlops(20), rows["Vanilla"].Flops.Total, 3);
        Assert.Equal(vision + 2 * target.Text.LayerFlops(20) + 3 * target.Text.LayerFlops(10), rows["FastV"].Flops.Total, 3);
        Assert.Equal(0, rows["Vanilla"].PrunerMs);
        CheckTable(table, [20, 10]);
    }

    /// <summary>Report structure: its own section and per-layer table, every row in markdown and JSON, TTFT the sum of its parts.</summary>
    static void CheckTable(ProfileTable table, int[] someLengths)
    {
        Assert.All(table.Rows, r => Assert.Equal(r.EncodeMs + r.PrunerMs + r.PrefillMs, r.TtftMs, 12));
        Assert.All(table.Rows, r => Assert.True(r.EncodeMs > 0 && r.PrefillMs > 0, r.Method));
        Assert.Equal(1.0, table.Speedup(table.Vanilla));
        Assert.All(someLengths, t => Assert.True(table.DecoderLayerMs!.ContainsKey(t), $"layer time at {t} tokens"));
        var md = ProfileReport.Markdown([table]);
        Assert.Contains($"## {table.Title}: K = {table.Keep} of N = {table.VisualTokens}", md);
        Assert.Contains("| Method | Loc. | K | FLOPs (G) | Enc. | Pruner | Prefill | TTFT | Speedup |", md);
        Assert.All(table.Rows, r => Assert.Contains($"| {r.Method} | {r.Location} | {r.Keep} |", md));
        Assert.Contains("| tokens | one layer (ms) |", md);
        using var json = JsonDocument.Parse(ProfileReport.Json([table]));
        var setting = json.RootElement.GetProperty("settings")[0];
        Assert.Equal(table.Title, setting.GetProperty("title").GetString());
        Assert.Equal(table.Rows.Count, setting.GetProperty("rows").GetArrayLength());
        Assert.Equal(table.Rows[0].Flops.Total, setting.GetProperty("rows")[0].GetProperty("flops").GetProperty("total").GetDouble());
    }
}
