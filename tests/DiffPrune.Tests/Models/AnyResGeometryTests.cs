using DiffPrune.Models.Vlm;

namespace DiffPrune.Tests.Models;

/// <summary>
/// AnyRes arithmetic against cases worked by hand from llava-hf's formulas (select_best_resolution,
/// get_patch_output_size, unpad_image, LlavaNextProcessor._get_number_of_features). Sizes are (height, width).
/// </summary>
public class AnyResGeometryTests
{
    /// <summary>llava-hf/llava-v1.6-vicuna-7b-hf's image_grid_pinpoints.</summary>
    static readonly (int, int)[] Next7B = [(336, 672), (672, 336), (672, 672), (1008, 336), (336, 1008)];
    static readonly (int, int)[] Tiny = [(16, 32), (32, 16), (32, 32)];

    // 400x500: 336x672 keeps ⌊500·0.84⌋·⌊400·0.84⌋ = 420·336 = 141,120 pixels, 672x672 at scale 1.344 keeps all 200,000.
    // 1000x300: 1008x336 at scale 1.008 keeps all 300,000 (672x336 only 201·672).
    // 336x336: 336x672, 672x336, 672x672 and 1008x336 all keep 112,896; 336x672 and 672x336 waste 112,896, the first listed wins.
    // 720x1280: 672x672 (scale 0.525) keeps 672·378 = 254,016; 336x672 and 336x1008 keep 597·336 = 200,592.
    [Theory]
    [InlineData(400, 500, 672, 672)]
    [InlineData(1000, 300, 1008, 336)]
    [InlineData(336, 336, 336, 672)]
    [InlineData(720, 1280, 672, 672)]
    [InlineData(300, 1000, 336, 1008)]
    public void BestResolutionOfTheSevenBPinpoints(int height, int width, int bestHeight, int bestWidth) =>
        Assert.Equal((bestHeight, bestWidth), AnyResGeometry.SelectBestResolution(height, width, Next7B));

    [Fact]
    public void BestResolutionPrefersLessWasteAmongEqualEffectiveResolutions()
    {
        // 20x20 fits 32x32 at scale 1.6 (all 400 pixels); 16x32 only at 0.8 (256)
        Assert.Equal((32, 32), AnyResGeometry.SelectBestResolution(20, 20, Tiny));
        // a 16x16 image is whole in all three; 16x32 wastes 256, 32x32 wastes 768
        Assert.Equal((16, 32), AnyResGeometry.SelectBestResolution(16, 16, [(32, 32), (16, 32)]));
        Assert.Throws<ArgumentException>(() => AnyResGeometry.SelectBestResolution(16, 16, []));
        Assert.Throws<ArgumentException>(() => AnyResGeometry.SelectBestResolution(0, 16, Tiny));
    }

    // 400x500 into 672x672: width fills (scale 1.344), height ⌈537.6⌉ = 538; 1000x300 into 1008x336: height fills, ⌈302.4⌉ = 303
    [Theory]
    [InlineData(400, 500, 672, 672, 538, 672)]
    [InlineData(1000, 300, 1008, 336, 1008, 303)]
    [InlineData(24, 40, 32, 32, 20, 32)]
    [InlineData(336, 336, 336, 672, 336, 336)]
    public void ResizedSizeInsideThePinpoint(int height, int width, int targetHeight, int targetWidth, int expectedHeight, int expectedWidth) =>
        Assert.Equal((expectedHeight, expectedWidth), AnyResGeometry.FitInside(height, width, (targetHeight, targetWidth)));

    // 400x500 on a 48x48 grid: 400·48/500 = 38.4 → 38 rows hold the image, (48 − 38) / 2 = 5 cut at top and bottom.
    // 1000x300 on 72x24: 300·72/1000 = 21.6 → 21, (24 − 21) / 2 = 1 column cut on each side, 22 left (the odd one stays).
    // 336x336 on 24x48: 24 columns hold it, 12 cut on each side. 720x1280 on 48x48: 27 rows, 10 cut each side, 28 left.
    [Theory]
    [InlineData(400, 500, 48, 48, 5, 38, 0, 48)]
    [InlineData(1000, 300, 72, 24, 0, 72, 1, 22)]
    [InlineData(336, 336, 24, 48, 0, 24, 12, 24)]
    [InlineData(720, 1280, 48, 48, 10, 28, 0, 48)]
    [InlineData(24, 40, 8, 8, 2, 4, 0, 8)]
    public void UnpaddedRowsAndColumns(int height, int width, int rows, int columns, int top, int keptRows, int left, int keptColumns) =>
        Assert.Equal((top, keptRows, left, keptColumns), AnyResGeometry.Unpad(height, width, rows, columns));

    [Fact]
    public void UnpadRoundsTheScaledSideBeforeFlooring()
    {
        // 49·(100/4900) is 0.9999999999999999 in floating point: llava-hf rounds to 7 decimals first, so 1 row holds the
        // image and (4 − 1) / 2 = 1 row is cut from each side (a bare floor would say 0 rows and cut 2 from each side)
        Assert.Equal((1, 2, 0, 100), AnyResGeometry.Unpad(49, 4900, 4, 100));
    }

    // The processor's count: base 24·24 = 576, plus the unpadded rows × columns, plus one newline per row.
    // 400x500: 576 + 38·48 + 38 = 2,438; 1000x300: 576 + 72·22 + 72 = 2,232; 336x336: 576 + 24·24 + 24 = 1,176;
    // 720x1280: 576 + 28·48 + 28 = 1,948; an image of the 2x2 pinpoint's aspect loses nothing: 576 + 48·48 + 48 = 2,928.
    [Theory]
    [InlineData(400, 500, 2438)]
    [InlineData(1000, 300, 2232)]
    [InlineData(336, 336, 1176)]
    [InlineData(720, 1280, 1948)]
    [InlineData(672, 672, 2928)]
    public void TokenCountOfTheSevenB(int height, int width, int tokens) =>
        Assert.Equal(tokens, AnyResGeometry.TokenCount(height, width, Next7B, 336, 14));

    [Fact]
    public void LayoutSpansTheProcessorsTokenCountForEverySize()
    {
        var cfg = LlavaConfig.LlavaNext7B();
        foreach (int h in new[] { 1, 7, 200, 336, 337, 500, 671, 672, 1000, 2000 })
            foreach (int w in new[] { 1, 9, 250, 336, 600, 672, 1008, 1500 })
            {
                var layout = AnyResLayout.For(h, w, cfg);
                Assert.Equal(AnyResGeometry.TokenCount(h, w, Next7B, 336, 14), layout.SpanLength);
                Assert.Equal(layout.SpanLength - layout.Unpadded.Rows, layout.VisualTokens);
                Assert.True(layout.VisualTokens <= cfg.MaxVisualTokens);
            }
    }

    [Fact]
    public void LayoutPositionsLeaveOneSlotAfterEachRowForItsNewline()
    {
        var layout = AnyResLayout.For(24, 40, TinyModels.Llava() with { ImageGridPinpoints = Tiny });
        // 2x2 tiles of 4x4 patches, rows 2..5 of 8 kept: 16 base + 4·8 grid tokens, 4 newlines after positions 24, 33, 42, 51
        Assert.Equal((4, 8, 52), (layout.Views - 1, layout.Unpadded.Columns, layout.SpanLength));
        Assert.Equal([24, 33, 42, 51], layout.Span().Newlines);
        var positions = layout.Positions();
        Assert.Equal(Enumerable.Range(0, 52).Except([24, 33, 42, 51]), positions);
        // grid row 0 is full-grid row 2: tiles (0,0) and (0,1), patch row 2 of each; row 3 is full-grid row 5: tiles (1,·), patch row 1
        var rows = layout.SourceRows();
        Assert.Equal([16 + 8, 16 + 9, 16 + 10, 16 + 11, 32 + 8, 32 + 9, 32 + 10, 32 + 11], rows[16..24]);
        Assert.Equal([48 + 4, 48 + 5, 48 + 6, 48 + 7, 64 + 4, 64 + 5, 64 + 6, 64 + 7], rows[40..48]);
    }

    [Fact]
    public void SevenBConfigGivesUpToTwoThousandEightHundredAndEightyVisualTokens()
    {
        var cfg = LlavaConfig.LlavaNext7B();
        Assert.Equal(LlavaConfig.LlavaNextMaxVisualTokens, cfg.MaxVisualTokens);
        Assert.Equal(576, LlavaConfig.Llava15_7B().MaxVisualTokens);
        Assert.Equal(LlavaConfig.Llava15_7B().ParameterCount() + 4096, cfg.ParameterCount());
    }

    [Fact]
    public void PinpointsThatAreNotWholeTilesAreRefused()
    {
        var bad = TinyModels.Llava() with { ImageGridPinpoints = [(16, 24)] };
        Assert.Contains("[16, 24] must be whole tiles of the vision image_size 16", Assert.Throws<ArgumentException>(() => bad.Validate()).Message);
        Assert.Throws<ArgumentException>(() => (TinyModels.Llava() with { ImageGridPinpoints = [] }).Validate());
    }
}
