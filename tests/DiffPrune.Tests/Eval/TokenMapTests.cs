using DiffPrune.Data.Images;
using DiffPrune.Data.Text;
using DiffPrune.Eval;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors;
using DiffPrune.Tests.Models;

namespace DiffPrune.Tests.Eval;

public class TokenMapTests
{
    static byte Tint(byte pixel, byte tint) => (byte)Math.Round(0.55 * pixel + 0.45 * tint);

    [Fact]
    public void KeptPatchesAreTintedRedAndDroppedOnesBlue()
    {
        var image = RgbImage.Filled(8, 8, 100, 150, 200);   // 2×2 patches of 4 px
        image.SetPixel(5, 1, 0, 0, 0);                       // one dark pixel in patch 1
        var overlay = TokenMap.Overlay(image, grid: 2, kept: [0, 3], scale: 3);
        Assert.Equal((24, 24), (overlay.Width, overlay.Height));
        var kept = (Tint(100, 220), Tint(150, 30), Tint(200, 30));
        var dropped = (Tint(100, 30), Tint(150, 70), Tint(200, 230));
        foreach (var (x, y) in new[] { (0, 0), (11, 11), (12, 12), (23, 23) }) Assert.Equal(kept, overlay.GetPixel(x, y));   // patches 0 and 3
        foreach (var (x, y) in new[] { (12, 0), (23, 11), (0, 12), (11, 23) }) Assert.Equal(dropped, overlay.GetPixel(x, y)); // patches 1 and 2
        var dark = (Tint(0, 30), Tint(0, 70), Tint(0, 230));
        for (int dy = 0; dy < 3; dy++)
            for (int dx = 0; dx < 3; dx++) Assert.Equal(dark, overlay.GetPixel(15 + dx, 3 + dy)); // pixel (5, 1) scaled ×3
        Assert.Throws<ArgumentException>(() => TokenMap.Overlay(image, grid: 3, kept: [0]));
        Assert.Throws<ArgumentException>(() => TokenMap.Overlay(image, grid: 2, kept: [4]));
    }

    [Fact]
    public void TheSimilarityMatrixIsTopThenBottomWithOnesOnTheDiagonal()
    {
        var features = Tensor.Randn(new Generator(1), [10, 6]);
        int[] top = [7, 2, 5], bottom = [0, 9, 4];
        var m = TokenMap.Similarity(features, [.. top, .. bottom]);
        Assert.Equal((6, 6), (m.GetLength(0), m.GetLength(1)));
        int[] order = [.. top, .. bottom];
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(1.0, m[i, i]);
            for (int j = 0; j < 6; j++)
            {
                double dot = 0, ni = 0, nj = 0;
                for (int c = 0; c < 6; c++)
                {
                    double a = features[order[i], c], b = features[order[j], c];
                    dot += a * b;
                    ni += a * a;
                    nj += b * b;
                }
                Assert.Equal(dot / Math.Sqrt(ni * nj), m[i, j], 5);
                Assert.Equal(m[i, j], m[j, i], 12);
            }
        }
    }

    [Fact]
    public void TheSimilarityImageHasA2KBlockLayoutWithASeparator()
    {
        const int k = 3, cell = 4;
        var m = TokenMap.Similarity(Tensor.Randn(new Generator(2), [10, 5]), [0, 1, 2, 7, 8, 9]);
        var image = TokenMap.SimilarityImage(m, split: k, cell: cell);
        int side = 2 * k * cell + TokenMap.SeparatorWidth;
        Assert.Equal((side, side), (image.Width, image.Height));
        for (int i = 0; i < 2 * k; i++)
        {
            int o = TokenMap.Offset(i, k, cell);
            Assert.Equal(TokenMap.Color(1), image.GetPixel(o + 1, o + 2));             // diagonal: similarity 1, full red
            for (int j = 0; j < 2 * k; j++)
                Assert.Equal(TokenMap.Color(m[i, j]), image.GetPixel(TokenMap.Offset(j, k, cell) + cell - 1, o));
        }
        Assert.Equal((220, 30, 30), TokenMap.Color(1));
        Assert.Equal((255, 255, 255), TokenMap.Color(0));
        Assert.Equal((30, 70, 230), TokenMap.Color(-1));
        for (int t = 0; t < side; t++)
            for (int w = 0; w < TokenMap.SeparatorWidth; w++)
            {
                Assert.Equal(TokenMap.SeparatorColor, image.GetPixel(k * cell + w, t));   // vertical line between the blocks
                Assert.Equal(TokenMap.SeparatorColor, image.GetPixel(t, k * cell + w));   // horizontal line
            }
    }

    [Fact]
    public void PruneAnswersWithAndWithoutPruningAndDrawsFigure5()
    {
        var tokenizer = WordTokenizer.ForSceneBench();
        var vlm = new LlavaModel(TinyModels.SceneLlava(), new Generator(5));
        var image = new DiffPrune.Data.Scenes.SceneBench().Split(DiffPrune.Data.Scenes.SceneSplit.Test, 1).First().Scene.Image;
        var big = ImageResize.Bilinear(image, 150, 120);   // resized back to 96 px
        var scorer = new TokenScorer(16, new Generator(6), heads: 2);
        var pruner = new TokenPruner(scorer, new TokenPrunerConfig(16, 2, 2, 16));
        var result = PruneComparison.Run(new VlmInference(vlm), tokenizer, new ComparedMethod("DiffPrune", _ => pruner), big, "what color is the circle?", runs: 1, warmup: 0);
        Assert.True(result.Ranked);
        Assert.Equal(16, result.Kept.Count);
        Assert.Equal(result.Kept, result.Top.Order());
        Assert.Equal(16, result.Bottom.Count);
        var features = vlm.EncodeImages(ImageTensors.ToTensor([ImageResize.Bilinear(big, 96, 96)], ImageNormalization.Clip)).Features;
        var logits = scorer.Forward(features).ToArray();
        Assert.True(result.Bottom.Max(i => logits[i]) < result.Top.Min(i => logits[i]));
        Assert.Equal(Enumerable.Range(0, 144).OrderBy(i => logits[i]).Take(16).Order(), result.Bottom.Order());
        Assert.Equal((96 * 4, 96 * 4), (result.Overlay.Width, result.Overlay.Height));
        Assert.Equal(32 * (256 / 32) + TokenMap.SeparatorWidth, result.Similarity.Width);
        Assert.Equal(["Vanilla", "DiffPrune"], new[] { result.UnprunedTiming.Method, result.PrunedTiming.Method });
        Assert.Equal(144, result.UnprunedTiming.Keep);

        var fastV = PruneComparison.Run(new VlmInference(vlm), tokenizer, new ComparedMethod("FastV", v => PruningMethods.Create("FastV", v, 16)), image, "is there a red circle?", runs: 1, warmup: 0);
        Assert.False(fastV.Ranked);
        Assert.Equal(16, fastV.Kept.Distinct().Count(i => i >= 0 && i < 144));
        Assert.Empty(fastV.Bottom.Intersect(fastV.Kept));
        using var dir = new DiffPrune.Tests.Data.TempDirectory();
        var files = PruneComparison.Write(dir.Path, fastV);
        Assert.Equal(["tokens.png", "similarity.png", "report.md", "report.json"], files.Select(Path.GetFileName));
        Assert.Equal(fastV.Overlay.Rgb, PngDecoder.Decode(files[0]).Rgb);
    }
}
