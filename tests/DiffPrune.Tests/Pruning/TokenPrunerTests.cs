using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Tensors;
using DiffPrune.Tests.Data;
using DiffPrune.Tests.Models;

namespace DiffPrune.Tests.Pruning;

public class TokenPrunerTests
{
    static TokenPruner Pruner(int keep = 5) => new(new TokenScorer(24, new Generator(1), heads: 2), new TokenPrunerConfig(24, 2, 2, keep));

    static VisualTokens Tokens(int b = 3, int n = 16) =>
        new(Tensor.Randn(new Generator(2), [b, n, 24]), Enumerable.Range(0, b).Select(_ => Enumerable.Range(0, n).ToArray()).ToArray(), new VisionOutput([], []));

    [Fact]
    public void KeepsTheHighestScoringTokensInOriginalOrder()
    {
        var pruner = Pruner();
        var tokens = Tokens();
        var kept = pruner.Prune(tokens);
        var logits = pruner.Scorer.Forward(tokens.Features);
        Assert.Equal([3, 5, 24], kept.Features.Shape);
        for (int b = 0; b < 3; b++)
        {
            var expected = Enumerable.Range(0, 16).OrderByDescending(i => logits.Data[b * 16 + i]).Take(5).Order().ToArray();
            Assert.Equal(expected, kept.PatchIndex[b]);
            for (int j = 0; j < 5; j++)
                for (int c = 0; c < 24; c++) Assert.Equal(tokens.Features.Data[(b * 16 + expected[j]) * 24 + c], kept.Features.Data[(b * 5 + j) * 24 + c]);
        }
    }

    [Fact]
    public void KeptTokensKeepTheirOriginalPositionIdsInTheVlm()
    {
        var vlm = new LlavaModel(TinyModels.Llava(), new Generator(3));
        var pruner = new TokenPruner(new TokenScorer(24, new Generator(4), heads: 2), new TokenPrunerConfig(24, 2, 2, 4));
        var kept = pruner.Prune(vlm.EncodeImages(TinyModels.Pixels(1, 5)));
        var input = vlm.BuildInput(vlm.Projector.Forward(kept.Features), kept.PatchIndex, [[1, 3, 7, 8]]);
        Assert.Equal([0, .. kept.PatchIndex[0].Select(p => 1 + p), 17, 18], input.Positions);
    }

    [Fact]
    public void SavedAndLoadedItDecidesTheSame()
    {
        using var dir = new TempDirectory();
        var pruner = Pruner(keep: 7);
        pruner.Save(dir.Path);
        var loaded = TokenPruner.Load(dir.Path);
        Assert.Equal(pruner.Config, loaded.Config);
        var tokens = Tokens();
        Assert.Equal(pruner.Prune(tokens).PatchIndex, loaded.Prune(tokens).PatchIndex);
        Assert.Equal(pruner.Scorer.Forward(tokens.Features).ToArray(), loaded.Scorer.Forward(tokens.Features).ToArray());
    }

    [Fact]
    public void WithItsDenoiserDeployedTheKeptTokensPassThroughItAndTheRowSaysSo()
    {
        using var dir = new TempDirectory();
        var pruner = Pruner(keep: 6);
        pruner.Save(dir.Path);
        var denoiser = new Denoiser(24, new Generator(9), heads: 2);
        denoiser.Save(Path.Combine(dir.Path, Denoiser.FileName));
        var plain = TokenPruner.Load(dir.Path);
        var deployed = TokenPruner.Load(dir.Path, withDenoiser: true);
        Assert.Null(plain.Denoiser);
        Assert.Equal(("DiffPrune", "DiffPrune + denoiser"), (plain.Name, deployed.Name));
        var tokens = Tokens();
        var kept = plain.Prune(tokens);
        var denoised = deployed.Prune(tokens);
        Assert.Equal(kept.PatchIndex, denoised.PatchIndex);
        using (Autograd.NoGrad())
            Assert.Equal(denoiser.Forward(kept.Features).ToArray(), denoised.Features.ToArray());
        Assert.NotEqual(kept.Features.ToArray(), denoised.Features.ToArray());
        // the budget moves, the denoiser stays
        Assert.Same(deployed.Denoiser, deployed.WithKeep(3).Denoiser);
    }

    [Fact]
    public void APrunerWithoutItsDenoiserCannotDeployOne()
    {
        using var dir = new TempDirectory();
        Pruner().Save(dir.Path);
        var e = Assert.Throws<FileNotFoundException>(() => TokenPruner.Load(dir.Path, withDenoiser: true));
        Assert.Contains(Denoiser.FileName, e.Message);
        File.WriteAllText(Path.Combine(dir.Path, Denoiser.FileName), "not safetensors");
        Assert.ThrowsAny<InvalidDataException>(() => TokenPruner.Load(dir.Path, withDenoiser: true));
    }

    [Fact]
    public void ThresholdModeKeepsKOnAverageOverTheCalibrationImagesWithAKPerImage()
    {
        var calibration = Tokens(b: 6);
        var adaptive = Pruner(keep: 5).WithCalibratedThreshold(calibration);
        Assert.Equal(BudgetMode.Threshold, adaptive.Mode);
        Assert.Equal(new CalibratedThreshold(adaptive.Config.Threshold!.Value, 5, 6), adaptive.Config.Threshold);
        var kept = adaptive.Prune(calibration);
        var counts = Enumerable.Range(0, 6).Select(kept.CountOf).ToArray();
        Assert.Equal(30, counts.Sum());                              // mean K = 5 exactly on the calibration images
        Assert.True(counts.Distinct().Count() > 1, $"every image kept the same number ({string.Join(", ", counts)})");
        var logits = adaptive.Scorer.Forward(calibration.Features);
        for (int b = 0; b < 6; b++)
        {
            // the threshold compares each image's standardised logits, computed here independently of the library
            var row = Enumerable.Range(0, 16).Select(i => (double)logits.Data[b * 16 + i]).ToArray();
            double mean = row.Average(), std = Math.Sqrt(row.Select(v => (v - mean) * (v - mean)).Average() + 1e-6);
            var expected = Enumerable.Range(0, 16).Where(i => (row[i] - mean) / std >= adaptive.Config.Threshold.Value).ToArray();
            Assert.Equal(expected, kept.PatchIndex[b]);
            for (int j = counts[b]; j < kept.Count; j++)                // padding slots hold zeros
                for (int c = 0; c < 24; c++) Assert.Equal(0f, kept.Features.Data[(b * kept.Count + j) * 24 + c]);
        }
        // a threshold above every score still keeps each image's best token
        var strict = adaptive.WithThreshold(new CalibratedThreshold(1e9, 5, 6));
        var best = strict.Prune(calibration).PatchIndex;
        for (int b = 0; b < 6; b++)
            Assert.Equal([Enumerable.Range(0, 16).MaxBy(i => logits.Data[b * 16 + i])], best[b]);
    }

    [Fact]
    public void TheThresholdRoundTripsThroughPrunerJsonAndLoadsInTopKMode()
    {
        using var dir = new TempDirectory();
        var calibration = Tokens(b: 6);
        var adaptive = Pruner(keep: 5).WithCalibratedThreshold(calibration, meanKeep: 7);
        Assert.Equal(7, adaptive.Keep);                                // the mean K, not the trained K
        Assert.Equal(5, adaptive.Config.Keep);
        adaptive.Save(dir.Path);
        var loaded = TokenPruner.Load(dir.Path);
        Assert.Equal(adaptive.Config, loaded.Config);                  // the double survives JSON bit for bit
        Assert.Equal(BudgetMode.TopK, loaded.Mode);                    // a stored threshold is used only when asked for
        Assert.Equal(Pruner(keep: 5).Prune(calibration).PatchIndex, loaded.Prune(calibration).PatchIndex);
        var threshold = loaded.InThresholdMode();
        Assert.Equal("DiffPrune (threshold)", threshold.Name);
        Assert.Equal(adaptive.Prune(calibration).PatchIndex, threshold.Prune(calibration).PatchIndex);
        Assert.Equal(42, Enumerable.Range(0, 6).Sum(threshold.Prune(calibration).CountOf));
        // re-ranking at another K goes back to top-K and keeps the stored threshold in the config
        var other = threshold.WithKeep(3);
        Assert.Equal((BudgetMode.TopK, 3, adaptive.Config.Threshold), (other.Mode, other.Keep, other.Config.Threshold));
        Assert.Contains("no calibrated threshold", Assert.Throws<ArgumentException>(() => Pruner().InThresholdMode()).Message);
    }

    [Fact]
    public void PrunerJsonRefusesUnknownKeysAndUnusableThresholds()
    {
        using var dir = new TempDirectory();
        Pruner().Save(dir.Path);
        void Refused(string json, params string[] fragments)
        {
            File.WriteAllText(dir.File("pruner.json"), json);
            var e = Assert.Throws<InvalidDataException>(() => TokenPruner.Load(dir.Path));
            Assert.DoesNotContain('\n', e.Message);
            foreach (var f in fragments) Assert.Contains(f, e.Message);
        }
        Refused("""{ "VisionWidth": 24, "Heads": 2, "Layers": 2, "Keep": 5, "Treshold": 1.5 }""", "not a pruner config", "Treshold");
        Refused("""{ "VisionWidth": 24, "Heads": 2, "Layers": 2, "Keep": 5, "Threshold": { "Value": 1.5, "MeanKeep": 5, "Images": 10, "Scale": "raw" } }""", "Scale");
        Refused("""{ "VisionWidth": 24, "Heads": 2, "Layers": 2, "Keep": 5, "Threshold": 1.5 }""", "not a pruner config");
        Refused("""{ "VisionWidth": 24, "Heads": 2, "Layers": 2, "Keep": 5, "Threshold": { "Value": 1.5, "MeanKeep": 0, "Images": 10 } }""", "mean K must be at least 1", "--budget-mode threshold");
        Refused("""{ "VisionWidth": 24, "Heads": 2, "Layers": 2, "Keep": 5, "Threshold": { "Value": 1.5, "MeanKeep": 5, "Images": 0 } }""", "at least 1 image");
        Refused("""{ "VisionWidth": 24, "Heads": 2, "Layers": 2, "Keep": 0 }""", "Keep 0 must be at least 1");
        File.WriteAllText(dir.File("pruner.json"), """{ "VisionWidth": 24, "Heads": 2, "Layers": 2, "Keep": 5, "Threshold": { "Value": -0.25, "MeanKeep": 4, "Images": 10 } }""");
        Assert.Equal(new CalibratedThreshold(-0.25, 4, 10), TokenPruner.Load(dir.Path).Config.Threshold);
        Assert.Throws<ArgumentException>(() => Pruner().WithThreshold(new CalibratedThreshold(double.NaN, 5, 10)));
    }

    [Fact]
    public void ImagesThatKeepDifferentNumbersOfTokensGetTheirOwnLogitsInABatch()
    {
        var vlm = new LlavaModel(TinyModels.Llava(), new Generator(3));
        var tokens = vlm.EncodeImages(TinyModels.Pixels(3, 5));
        int[][] keep = [[0, 4, 9], [1, 2, 3, 5, 8, 15], [7]];
        int[][] text = [[1, 3, 7, 8], [1, 3, 9], [1, 3, 7, 8, 6]];
        var kept = tokens.Select(keep);
        using var _ = Autograd.NoGrad();
        var batched = vlm.LanguageModel.Forward(vlm.BuildInput(vlm.Projector.Forward(kept.Features), kept.PatchIndex, text) with { LastLogitsOnly = true }).Logits;
        int v = batched.Shape[^1];
        for (int i = 0; i < 3; i++)
        {
            var alone = vlm.EncodeImages(TinyModels.Pixels(3, 5).Slice(0, i, i + 1)).Select([keep[i]]);
            var single = vlm.LanguageModel.Forward(vlm.BuildInput(vlm.Projector.Forward(alone.Features), alone.PatchIndex, [text[i]]) with { LastLogitsOnly = true }).Logits;
            Tolerance.AssertClose(single.Data, batched.Data.Slice(i * v, v), atol: 1e-4, rtol: 0, what: $"sample {i}");
        }
    }

    [Fact]
    public void BadBudgetsWidthsAndFoldersAreNamed()
    {
        Assert.Contains("1..N", Assert.Throws<ArgumentOutOfRangeException>(() => Pruner(keep: 17).Prune(Tokens())).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Pruner(keep: 0));
        var narrow = new VisualTokens(Tensor.Zeros(1, 16, 8), [Enumerable.Range(0, 16).ToArray()], new VisionOutput([], []));
        Assert.Contains("width 24", Assert.Throws<ArgumentException>(() => Pruner().Prune(narrow)).Message);

        using var dir = new TempDirectory();
        Assert.Contains("pruner.json", Assert.Throws<FileNotFoundException>(() => TokenPruner.Load(dir.Path)).Message);
        File.WriteAllText(dir.File("pruner.json"), "{ not json");
        Assert.Contains("not a pruner config", Assert.Throws<InvalidDataException>(() => TokenPruner.Load(dir.Path)).Message);
        Pruner().Save(dir.Path);
        File.WriteAllText(dir.File("pruner.json"), """{ "VisionWidth": 32, "Heads": 2, "Layers": 2, "Keep": 5 }""");
        Assert.Contains("blocks.0", Assert.Throws<InvalidDataException>(() => TokenPruner.Load(dir.Path)).Message);
        File.WriteAllText(dir.File("pruner.json"), """{ "VisionWidth": 1024, "Heads": 2, "Layers": 2, "Keep": 5 }""");
        var huge = Assert.Throws<InvalidDataException>(() => TokenPruner.Load(dir.Path)).Message;
        Assert.Contains("width 1024", huge);
        Assert.Contains("norm.weight is [24]", huge);
    }
}
