using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tests.Models;
using DiffPrune.Training.Pruner;

namespace DiffPrune.Tests.Training;

public class PrunerValidationTests
{
    static readonly PrunerTrainingOptions Options = new()
    {
        Seed = 4,
        Keep = 16,
        Steps = 3,
        BatchSize = 2,
        StandardizerScenes = 4,
        ValidationScenes = 2,
        FeaturePool = 4,
        TauSteps = 3,
    };

    static PrunerValidation TrainAndValidate(PrunerTrainingOptions options)
    {
        var trainer = PrunerTrainer.Create(new LlavaModel(TinyModels.SceneLlava(), new Generator(3)), WordTokenizer.ForSceneBench(), SceneOptions.Default, options);
        while (!trainer.Done) trainer.TrainStep();
        return trainer.Validate();
    }

    [Fact]
    public void TheValidationSplitsTheGapBetweenTrainingAndDeployedInputIntoItsParts()
    {
        var v = TrainAndValidate(Options);
        double[] losses = [v.SoftLoss, v.BinaryLoss!.Value, v.DenoisedHardLoss!.Value, v.HardLoss];
        Assert.All(losses, l => Assert.True(double.IsFinite(l) && l > 0, $"{l}"));
        // the paper's input keeps the dropped tokens as noise and the denoiser on the kept ones: neither is what deploys
        Assert.NotEqual(v.HardLoss, v.BinaryLoss.Value, 4);
        Assert.NotEqual(v.HardLoss, v.DenoisedHardLoss.Value, 4);
    }

    [Fact]
    public void WithKCandidatesAndAGatedDenoiserBinaryAlphaIsTheDeployedInput()
    {
        var v = TrainAndValidate(Options with { Candidates = 16, GatedDenoiser = true });
        Assert.Equal(v.HardLoss, v.BinaryLoss!.Value, 4);
        Assert.Equal(v.HardLoss, v.DenoisedHardLoss!.Value, 6);
    }
}
