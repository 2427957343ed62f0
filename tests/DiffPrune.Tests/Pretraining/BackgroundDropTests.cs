using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Tensors;
using DiffPrune.Tests.Models;
using DiffPrune.Training.Pretraining;

namespace DiffPrune.Tests.Pretraining;

public class BackgroundDropTests
{
    [Fact]
    public void EveryObjectPatchStaysAndTheBackgroundKeptVariesFromNoneToNearlyAll()
    {
        var gen = new Generator(3);
        var kept = new List<double>();
        for (int seed = 0; seed < 40; seed++)
        {
            var scene = Scene.Generate(seed, SceneOptions.Default);
            var keep = BackgroundDrop.Keep(scene, gen);
            Assert.Equal(keep.Order(), keep);
            Assert.Equal(keep.Length, keep.Distinct().Count());
            var objects = Enumerable.Range(0, scene.PatchObject.Count).Where(p => scene.PatchObject[p] >= 0).ToArray();
            Assert.Subset(keep.ToHashSet(), objects.ToHashSet());
            int background = scene.PatchObject.Count - objects.Length;
            kept.Add((keep.Length - objects.Length) / (double)background);
        }
        Assert.True(kept.Min() < 0.1 && kept.Max() > 0.9, $"background shares kept: {kept.Min():F2} … {kept.Max():F2}");
    }

    [Fact]
    public void AStepWithBackgroundDropTrainsOnFewerTokensAndRunsWithoutItAreUnchanged()
    {
        var tokenizer = WordTokenizer.ForSceneBench();
        var options = new PretrainOptions { Seed = 2, VisionSteps = 0, AlignmentSteps = 0, InstructionSteps = 1, ScenesPerStep = 2, ItemsPerScene = 3, Optimizer = new PretrainOptions().Optimizer with { WarmupSteps = 1 } };
        double Loss(PretrainOptions o) => Pretrainer.Create(o, tokenizer, TinyModels.SceneLlava()).TrainStep().Loss;
        double plain = Loss(options), again = Loss(options with { BackgroundDropShare = 0 });
        double dropped = Loss(options with { BackgroundDropShare = 1 });
        Assert.Equal(plain, again);
        Assert.True(double.IsFinite(dropped));
        Assert.NotEqual(plain, dropped);
        Assert.Contains("background_drop_share = 1", (options with { BackgroundDropShare = 1 }).Describe());
        Assert.Throws<ArgumentException>(() => (options with { BackgroundDropShare = 1.5 }).Validate());
    }
}
