using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tests.Data;
using DiffPrune.Tests.Models;
using DiffPrune.Training.Pretraining;
using DiffPrune.Training.Pruner;

namespace DiffPrune.Tests.Pretraining;

/// <summary>A LLaVA-NeXT-style SceneBench model (<see cref="SceneVlm.AnyRes"/>) through pretraining and pruner training.</summary>
public class AnyResTrainingTests
{
    static readonly WordTokenizer Tokenizer = WordTokenizer.ForSceneBench();
    static readonly SceneOptions High = SceneOptions.For(SceneBenchConfiguration.Dense, 144, SceneResolution.High);

    static LlavaModel TinyNext() => new(SceneVlm.AnyRes(TinyModels.SceneLlava()), new Generator(3));

    [Fact]
    public void AHighResolutionSceneIsReadAsTilesAndABaseView()
    {
        var cfg = SceneVlm.Scenes(SceneBenchConfiguration.Dense, TinyNext().Config);
        Assert.Equal(SceneResolution.High, cfg.Resolution);
        Assert.True(SceneVlm.Reads(TinyNext().Config, High));
        Assert.False(SceneVlm.Reads(TinyNext().Config, SceneOptions.Default));
        Assert.False(SceneVlm.Reads(TinyModels.SceneLlava(), High));
        var tokens = TinyNext().EncodeImages([Scene.Generate(1, High).Image]);
        Assert.Equal(5 * 144, tokens.Count);
        Assert.Equal(5 * 144 + 24, tokens.Spans![0].Length);
        Assert.Equal(TinyNext().Config.MaxVisualTokens, tokens.Count);
    }

    [Fact]
    public void GridRegionsMapBackThroughTheResizeAndTheCentringAndBaseRegionsCoverTheImageOnce()
    {
        var cfg = TinyModels.Llava() with { ImageGridPinpoints = [(16, 32), (32, 16), (32, 32)] };
        double Area(IEnumerable<(double Top, double Left, double Bottom, double Right)> r) => r.Sum(x => (x.Bottom - x.Top) * (x.Right - x.Left));
        var square = AnyResLayout.For(32, 32, cfg);
        Assert.Equal(32 * 32, Area(square.Regions().Skip(square.BaseTokens)), 6); // an exact fit: the grid tiles the image
        // 20×37 goes to the 32×32 pinpoint, resized to 18×32 and centred 7 px down; unpadding keeps grid rows 2..5 (canvas 8..24)
        var wide = AnyResLayout.For(20, 37, cfg);
        Assert.Equal((32, 32), wide.Resolution);
        var regions = wide.Regions();
        Assert.Equal(20 * 37, Area(regions.Take(wide.BaseTokens)), 6);
        var (top, left, bottom, right) = regions[wide.BaseTokens];
        Assert.Equal(1 / 0.9, top, 9);
        Assert.Equal(0, left, 9);
        Assert.Equal(5 / 0.9, bottom, 9);
        Assert.Equal(4 * 37 / 32.0, right, 9);
        Assert.All(regions, r => Assert.True(r.Top >= 0 && r.Left >= 0 && r.Bottom <= 20 && r.Right <= 37 && r.Top < r.Bottom && r.Left < r.Right, $"{r}"));
    }

    [Fact]
    public void ADropKeepsTheTileTokensOfKeptPatchesAndTheBaseTokensOverThem()
    {
        var scene = Scene.Generate(4, High);
        var layout = AnyResLayout.For(scene.Image.Height, scene.Image.Width, TinyNext().Config);
        int[] kept = [0, 25, 24 * 24 - 1]; // corner, (1, 1), opposite corner of the 24×24 patch grid
        var tokens = BackgroundDrop.TokensShowing(kept, scene, layout);
        // base view: 12×12 tokens of 16 px, each over 2×2 patches; grid: the 24×24 patches themselves
        int[] expected = [0, 0 * 12 + 0, 143, 144 + 0, 144 + 1 * 24 + 1, 144 + 24 * 24 - 1];
        Assert.Equal(expected.Distinct().Order(), tokens);
        var all = BackgroundDrop.TokensShowing(Enumerable.Range(0, scene.PatchObject.Count).ToArray(), scene, layout);
        Assert.Equal(Enumerable.Range(0, 720), all);
    }

    [Fact]
    public void AStandardModelStartsTheTiledOneAndItsQuestionStageTrainsWithBackgroundDrop()
    {
        using var dir = new TempDirectory();
        var standard = new LlavaModel(TinyModels.SceneLlava(), new Generator(9));
        HfCheckpoint.Save(standard, dir.File("std"), new Dictionary<string, string> { ["format"] = "pt" });
        Tokenizer.Save(Path.Combine(dir.File("std"), "tokenizer.txt"));
        var options = new PretrainOptions
        {
            Seed = 2, Scenes = High, VisionSteps = 0, AlignmentSteps = 0, InstructionSteps = 1, ScenesPerStep = 2, ItemsPerScene = 3, BackgroundDropShare = 1,
            Optimizer = new PretrainOptions().Optimizer with { WarmupSteps = 1 }, InitFrom = dir.File("std"),
        };
        var trainer = Pretrainer.Create(options, Tokenizer, SceneVlm.AnyRes(TinyModels.SceneLlava()));
        foreach (var (name, value) in standard.StateDict())
            Assert.Equal(value.ToArray(), trainer.Model.StateDict()[name].ToArray());
        Assert.True(double.IsFinite(trainer.TrainStep().Loss));
        Assert.Contains("--vision-steps 0", Assert.Throws<ArgumentException>(() => (options with { VisionSteps = 1 }).Validate()).Message);
    }

    [Fact]
    public void PrunerTrainingOnTiledImagesScoresTheKeptTokensAtTheirPlacesBetweenNewlines()
    {
        var vlm = TinyNext();
        var options = new PrunerTrainingOptions
        {
            Seed = 4, Keep = 80, Steps = 2, BatchSize = 2, Optimizer = new() { LearningRate = 1e-3 }, StandardizerScenes = 2, ValidationScenes = 2, FeaturePool = 3,
        };
        var trainer = PrunerTrainer.Create(vlm, Tokenizer, High, options);
        while (!trainer.Done) Assert.True(double.IsFinite(trainer.TrainStep().Loss));
        var validation = trainer.Validate();

        // the hard loss, recomputed from the pixels through the inference path
        var scenes = new SceneBench(High).Split(SceneSplit.Validation, 2).Select(e => e.Scene).ToArray();
        var texts = scenes.Select(s => ScenePrompt.TrainingIds(Tokenizer, "", s.Caption)).ToArray();
        var inference = new VlmInference(vlm);
        var kept = trainer.ToPruner().Prune(inference.Encode(scenes.Select(s => s.Image).ToArray()));
        Assert.All(kept.PatchIndex, p => Assert.Equal(80, p.Length));
        var ids = texts.Select(t => t.Ids).ToArray();
        double hard = inference.AnswerLoss(kept, null, ids, AnswerTargets.Masks(ids, texts.Select(t => t.AnswerStart).ToArray())).Loss.Item();
        Assert.Equal(hard, validation.HardLoss, 5);

        Assert.Contains("do not fit", Assert.Throws<ArgumentException>(() => PrunerTrainer.Create(vlm, Tokenizer, SceneOptions.Default, options)).Message);
    }
}
