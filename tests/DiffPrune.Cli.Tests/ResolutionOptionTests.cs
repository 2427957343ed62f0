using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vlm;
using DiffPrune.Training.Pretraining;

namespace DiffPrune.Cli.Tests;

/// <summary><c>scenes --sample --resolution</c>: variable-size and 192 px scenes as PNGs, recorded in scenes.md; bad values refused;
/// <c>pretrain --resolution variable</c> trains the Qwen2.5-VL-style model.</summary>
public sealed class ResolutionOptionTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("diffprune-resolution-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("variable", "dense", "width and height each drawn per scene from {72, 96, 120, 144} px, 8 px patches (9-18 per side: 81-324 visual tokens)")]
    [InlineData("high", "classic", "192x192 px, 8 px patches (24x24 = 576 visual tokens)")]
    public void SampleWritesScenesAtTheirOwnSizesAndRecordsTheResolution(string resolution, string bench, string geometry)
    {
        string dir = Path.Combine(_root, resolution);
        var (exit, _, error) = Cli.Run("scenes", "--sample", "--count", "6", "--bench", bench, "--resolution", resolution, "--out", dir);
        Assert.True(exit == 0, error);
        string md = File.ReadAllText(Path.Combine(dir, "scenes.md"));
        Assert.Contains($"({bench} configuration, {resolution} resolution): {geometry}", md);
        var options = SceneOptions.For(SceneBenchConfigurations.Parse(bench), 144, SceneResolutions.Parse(resolution));
        long first = SceneSplit.Test.FirstSeed();
        for (long seed = first; seed < first + 4; seed++)
        {
            var own = options.ForScene(seed);
            var png = PngDecoder.Decode(Path.Combine(dir, $"scene-{seed}.png"));
            Assert.Equal((2 * own.ImageWidth + 4, 2 * own.ImageHeight + 4), (png.Width, png.Height));   // upscaled ×2 inside a 2 px frame
            Assert.Equal(Scene.Generate(seed, options).Image.GetPixel(own.ImageWidth - 1, own.ImageHeight - 1), png.GetPixel(2 * own.ImageWidth + 1, 2 * own.ImageHeight + 1));
            Assert.Contains($"Size: {own.ImageWidth}x{own.ImageHeight} px ({own.GridColumns}x{own.GridRows} patches)", md);
        }
    }

    [Fact]
    public void BadResolutionsAreOneLine()
    {
        Cli.Fails(CliErrors.Usage, ["scenes", "--sample", "--resolution", "192", "--out", Path.Combine(_root, "bad")], "--resolution '192'", "standard, variable, high");
        Cli.Fails(CliErrors.Usage, ["scenes", "--sample", "--resolution", "high", "--grid", "81", "--out", Path.Combine(_root, "grid")], "high scenes set their own size", "81");
        Cli.Fails(CliErrors.Usage, ["scenes", "--calibrate", "--resolution", "variable", "--out", Path.Combine(_root, "calibrate")], "--calibrate measures standard scenes only");
        Assert.False(Directory.Exists(Path.Combine(_root, "bad")));
    }

    [Fact]
    public void PretrainOnVariableScenesWritesAQwenModelFolderAndResumes()
    {
        // stopped inside each stage (no final test scoring), resumed in between
        string[] pretrain = ["pretrain", "--resolution", "variable", "--vision-steps", "1", "--alignment-steps", "1", "--instruction-steps", "1",
            "--vision-batch", "2", "--captions-per-step", "2", "--scenes-per-step", "1", "--items-per-scene", "2", "--eval-every", "0", "--lm-layers", "1",
            "--out", Path.Combine(_root, "pretrain")];
        var (exit, _, error) = Cli.Run([.. pretrain, "--stop-after", "1"]);
        Assert.True(exit == 0, error);
        Assert.Contains("stopped at step 1 of 3", error);
        (exit, _, error) = Cli.Run([.. pretrain, "--stop-after", "2", "--resume"]);
        Assert.True(exit == 0, error);
        Assert.Contains("resuming at step 1", error);
        var (vlm, tokenizer) = ModelFolder.LoadAny(Path.Combine(_root, "pretrain", "model"));
        var qwen = Assert.IsType<Qwen25VlModel>(vlm);
        Assert.Equal(HfConfig.ToJson(SceneQwen.Config(tokenizer, languageLayers: 1)), HfConfig.ToJson(qwen.Config));
    }
}
