using DiffPrune.Data.Images;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Models;

/// <summary>A tiny LLaVA-NeXT (16 px tiles of 4x4 patches, pinpoints 16x32, 32x16, 32x32) end to end.</summary>
public class AnyResModelTests
{
    static LlavaConfig TinyNext() => TinyModels.Llava() with { ImageGridPinpoints = [(16, 32), (32, 16), (32, 32)] };

    static RgbImage RandomImage(int width, int height, int seed)
    {
        var rgb = new byte[width * height * 3];
        new Random(seed).NextBytes(rgb);
        return new RgbImage(width, height, rgb);
    }

    static float[] Row(Tensor t, int sample, int row)
    {
        int n = t.Shape[1], d = t.Shape[2];
        return t.Data.Slice((sample * n + row) * d, d).ToArray();
    }

    [Fact]
    public void TilesAreTheResizedImageCentredOnBlackAndCutRowByRow()
    {
        var image = RandomImage(40, 24, 1);
        var layout = AnyResLayout.For(24, 40, TinyNext());
        var views = AnyResTiler.Views(image, layout);
        Assert.Equal(5, views.Length);
        Assert.Equal(ImageResize.Bilinear(image, 16, 16).Rgb, views[0].Rgb);
        // 24x40 fits 32x32 as 20x32, 6 black rows above and below
        var resized = ImageResize.Bilinear(image, 32, 20);
        byte Canvas(int y, int x, int c) => y < 6 || y >= 26 ? (byte)0 : resized.Rgb[((y - 6) * 32 + x) * 3 + c];
        for (int t = 0; t < 2; t++)
            for (int u = 0; u < 2; u++)
                for (int y = 0; y < 16; y++)
                    for (int x = 0; x < 16; x++)
                        for (int c = 0; c < 3; c++)
                            Assert.Equal(Canvas(t * 16 + y, u * 16 + x, c), views[1 + t * 2 + u].Rgb[(y * 16 + x) * 3 + c]);
    }

    [Fact]
    public void UnprunedInputIsLlavaHfsPackedSequence()
    {
        var vlm = new LlavaModel(TinyNext(), new Generator(5));
        var image = RandomImage(40, 24, 2);
        using var _ = Autograd.NoGrad();
        var views = AnyResTiler.Views(image, AnyResLayout.For(24, 40, vlm.Config));
        var projected = vlm.Projector.Forward(vlm.EncodeImages(ImageTensors.ToTensor(views, ImageNormalization.Clip)).Features); // (5, 16, 32)
        // pack_image_features: base view first; tiles view(2, 2, 4, 4, d).permute(4, 0, 2, 1, 3) → an 8x8 grid whose cell
        // (y, x) is tile (y / 4, x / 4)'s patch (y % 4, x % 4); unpad_image for 24x40 keeps rows 2..5; a newline ends each row
        var expected = new List<float>();
        for (int p = 0; p < 16; p++) expected.AddRange(Row(projected, 0, p));
        for (int y = 2; y < 6; y++)
        {
            for (int x = 0; x < 8; x++) expected.AddRange(Row(projected, 1 + y / 4 * 2 + x / 4, y % 4 * 4 + x % 4));
            expected.AddRange(vlm.ImageNewline!.ToArray());
        }
        var input = new VlmInference(vlm).Assemble(new VlmInference(vlm).Encode([image]), [[1, 3, 5, 6]]);
        Assert.Equal(1 + 52 + 2, input.Positions.Length);
        Assert.Equal(Enumerable.Range(0, 55), input.Positions);
        Assert.Equal(new ImageSpan(1, 52), input.ImageSpans![0]);
        Tolerance.AssertClose(expected.ToArray(), input.Embeds.ToArray().AsSpan(32, 52 * 32), atol: 1e-5, rtol: 1e-5);
    }

    public static TheoryData<string> Methods => new() { "DiffPrune", "DivPrune" };

    [Theory]
    [MemberData(nameof(Methods))]
    public void PreLlmMethodsPruneEachImagesWholeSequenceAndKeepPositions(string name)
    {
        var vlm = new LlavaModel(TinyNext(), new Generator(6));
        var method = name == "DiffPrune"
            ? new TokenPruner(new TokenScorer(24, new Generator(7), 3, 1), new TokenPrunerConfig(24, 3, 1, 10))
            : (PreLlmPruner)PruningMethods.Create(name, vlm, 10);
        RgbImage[] images = [RandomImage(40, 24, 3), RandomImage(16, 16, 4)];
        var layouts = images.Select(i => AnyResLayout.For(i.Height, i.Width, vlm.Config)).ToArray();
        Assert.Equal([48, 32], layouts.Select(l => l.VisualTokens));
        var seen = new List<(VisualTokens Input, VisualTokens Kept)>();
        var spy = PruningHooks.Before(t =>
        {
            var kept = method.Prune(t);
            seen.Add((t, kept));
            return kept;
        });
        (RgbImage, int[])[] queries = [(images[0], [1, 3, 5, 6]), (images[1], [1, 3, 5, 7]), (images[0], [2, 3, 8])];
        var answers = new VlmInference(vlm).Generate(queries, spy, 4, eosId: null, batchSize: 2);

        // each image pruned alone, all its N tokens in one sequence
        Assert.Equal([48, 32], seen.Select(s => s.Input.Count));
        for (int i = 0; i < 2; i++)
        {
            var (input, kept) = seen[i];
            Assert.Equal(layouts[i].Positions(), input.PatchIndex[0]);
            Assert.Equal(10, kept.CountOf(0));
            Assert.Equal(kept.PatchIndex[0].Order(), kept.PatchIndex[0]);
            Assert.Equal(layouts[i].Span(), kept.Spans![0]);
            // a kept token is the token that was at its position
            for (int j = 0; j < 10; j++)
                Assert.Equal(Row(input.Features, 0, Array.IndexOf(input.PatchIndex[0], kept.PatchIndex[0][j])), Row(kept.Features, 0, j));
            if (method is TokenPruner pruner)
                Assert.Equal(HardTopK.Indices(pruner.Logits(input), 10)[0].Select(j => input.PatchIndex[0][j]), kept.PatchIndex[0]);
        }
        Assert.All(answers, a => Assert.Equal(4, a!.Length));
        var alone = queries.Select(q => new VlmInference(vlm).Generate([q], method, 4, eosId: null, batchSize: 1)[0]).ToArray();
        Assert.Equal(alone, answers);

        // the LLM input: kept tokens and every newline at their original positions, text after at start + span length
        var assembled = new VlmInference(vlm).Assemble(VisualTokens.Cat(seen.Select(s => s.Kept).ToArray()), [[1, 3, 5, 6], [1, 3, 5, 7]]);
        for (int i = 0; i < 2; i++)
        {
            var span = layouts[i].Span();
            var expected = new[] { 0 }.Concat(seen[i].Kept.PatchIndex[0].Concat(span.Newlines).Order().Select(p => 1 + p)).Concat([1 + span.Length, 2 + span.Length]);
            int len = assembled.Positions.Length / 2, pad = len - (3 + 10 + span.Newlines.Length);
            Assert.Equal(expected, assembled.Positions.Skip(i * len + pad).Take(len - pad));
            Assert.Equal(new ImageSpan(pad + 1, 10 + span.Newlines.Length), assembled.ImageSpans![i]);
        }
    }

    [Fact]
    public void UnprunedImagesOfDifferentSizesAnswerInABatchAsAlone()
    {
        var vlm = new LlavaModel(TinyNext(), new Generator(8));
        (RgbImage, int[])[] queries = [(RandomImage(40, 24, 5), [1, 3, 5]), (RandomImage(10, 50, 6), [1, 3, 9]), (RandomImage(20, 20, 7), [4, 3, 5, 6])];
        var batched = new VlmInference(vlm).Generate(queries, null, 5, eosId: null, batchSize: 3);
        var alone = queries.Select(q => new VlmInference(vlm).Generate([q], null, 5, eosId: null, batchSize: 1)[0]).ToArray();
        Assert.Equal(alone, batched);
        Assert.True(batched.Select(a => string.Join(",", a!)).Distinct().Count() > 1, "one answer to everything would not test the batch");
    }

    [Fact]
    public void MethodsThatReadAttentionMapsAreRefusedWithAReason()
    {
        var vlm = new LlavaModel(TinyNext(), new Generator(9));
        var error = Assert.Throws<ArgumentException>(() => new VlmInference(vlm).Generate([(RandomImage(20, 20, 8), [1, 3, 5])],
            PruningMethods.Create("VisionZip", vlm, 8), 2, eosId: null));
        Assert.Contains("attention maps", error.Message);
    }
}
