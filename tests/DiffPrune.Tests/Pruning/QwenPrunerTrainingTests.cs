using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Vlm;
using DiffPrune.Tests.Models;
using DiffPrune.Training.Pretraining;
using DiffPrune.Training.Pruner;

namespace DiffPrune.Tests.Pruning;

/// <summary>DiffPrune trained through a native-resolution (Qwen2.5-VL) model: each image of a batch its own N_i and K_i.</summary>
public class QwenPrunerTrainingTests
{
    static readonly WordTokenizer Tokenizer = WordTokenizer.ForSceneBench();
    static readonly SceneOptions Variable = SceneOptions.For(SceneBenchConfiguration.Dense, 144, SceneResolution.Variable);

    static readonly PrunerTrainingOptions Options = new()
    {
        Seed = 4, Keep = 20, KeepRate = 1.0 / 9, Steps = 2, BatchSize = 3, Optimizer = new() { LearningRate = 1e-3 }, StandardizerScenes = 3, ValidationScenes = 3,
        FeaturePool = 4,
    };

    [Fact]
    public void EachImageOfAMixedSizeBatchKeepsItsOwnShareAndTheValidationLossIsTheInferencePaths()
    {
        var vlm = Qwen25VlInferenceTests.TinySceneQwen(positions: 1024);
        var trainer = PrunerTrainer.Create(vlm, Tokenizer, Variable, Options);
        while (!trainer.Done) Assert.True(double.IsFinite(trainer.TrainStep().Loss));
        var validation = trainer.Validate();

        var scenes = new SceneBench(Variable).Split(SceneSplit.Validation, 3).Select(e => e.Scene).ToArray();
        Assert.True(scenes.Select(s => (s.Image.Width, s.Image.Height)).Distinct().Count() > 1, "the validation scenes should differ in size");
        var texts = scenes.Select(s => ScenePrompt.TrainingIds(Tokenizer, "", s.Caption)).ToArray();
        var inference = new VlmInference(vlm);
        var encoded = inference.Encode(scenes.Select(s => s.Image).ToArray());
        var kept = trainer.ToPruner().PruneAtRate(encoded, 1.0 / 9);
        Assert.Equal(scenes.Select(s => (int)Math.Round(((IVisionLanguageModel)vlm).TokenCount(s.Image) / 9.0, MidpointRounding.AwayFromZero)), kept.PatchIndex.Select(p => p.Length));
        var ids = texts.Select(t => t.Ids).ToArray();
        double hard = inference.AnswerLoss(kept, null, ids, AnswerTargets.Masks(ids, texts.Select(t => t.AnswerStart).ToArray())).Loss.Item();
        Assert.Equal(hard, validation.HardLoss, 5);
    }

    [Fact]
    public void APoolOfImagesOfDifferentSizesPlacesEachAsItsOwnEncoding()
    {
        var vlm = Qwen25VlInferenceTests.TinySceneQwen();
        var pool = CaptionFeaturePool.Encode(vlm, Tokenizer, Variable, 4, seed: 11, batch: 3);
        var drawn = SceneBench.DrawTrainingScenes(new DiffPrune.Tensors.Generator(11), 4, Variable);
        for (int i = 0; i < drawn.Length; i++)
        {
            var alone = new VlmInference(vlm).Encode([drawn[i].Image]);
            var row = pool.Tokens.Sample(i);
            Assert.Equal(alone.PatchIndex[0], row.PatchIndex[0]);
            Assert.Equal(alone.Grids![0], row.Grids![0]);
            Tolerance.AssertClose(alone.Features.Data, row.Features.Data, atol: 1e-5, rtol: 0, what: $"pooled features of scene {i}");
        }
    }

    [Fact]
    public void ANativeResolutionModelNeedsARateAndItsOwnScenes()
    {
        var vlm = Qwen25VlInferenceTests.TinySceneQwen();
        Assert.Contains("--keep-rate", Assert.Throws<ArgumentException>(() => PrunerTrainer.Create(vlm, Tokenizer, Variable, Options with { KeepRate = null })).Message);
        Assert.Contains("variable resolution", Assert.Throws<ArgumentException>(() => PrunerTrainer.Create(vlm, Tokenizer, SceneOptions.Dense, Options)).Message);
        Assert.Contains("KeepRate", Assert.Throws<ArgumentException>(() => (Options with { KeepRate = 1.5 }).Validate()).Message);
    }
}
