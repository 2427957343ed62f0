using DiffPrune.Data.Scenes;
using DiffPrune.Training.Pretraining;

namespace DiffPrune.Tests.Pretraining;

/// <summary>A run on scenes of another geometry records it in its description; standard scenes describe as before.</summary>
public class SceneResolutionDescriptionTests
{
    [Fact]
    public void OtherGeometriesAreDescribedAndStandardOnesAreNot()
    {
        var standard = new PretrainOptions().Describe();
        Assert.DoesNotContain("scenes.resolution", standard);
        Assert.DoesNotContain("scenes.image =", standard);
        Assert.DoesNotContain("variable_sides", standard);
        var variable = (new PretrainOptions() with { Scenes = SceneOptions.For(SceneBenchConfiguration.Dense, 144, SceneResolution.Variable) }).Describe();
        Assert.Contains("scenes.resolution = variable\n", variable);
        Assert.Contains("scenes.variable_sides = 72,96,120,144\n", variable);
        var high = (new PretrainOptions() with { Scenes = SceneOptions.For(SceneBenchConfiguration.Classic, 144, SceneResolution.High) }).Describe();
        Assert.Contains("scenes.image_size = 192\n", high);
        Assert.Contains("scenes.resolution = high\n", high);
        var wide = (new PretrainOptions() with { Scenes = new SceneOptions { ImageWidth = 120, ImageHeight = 72 } }).Describe();
        Assert.Contains("scenes.image = 120x72\n", wide);
    }
}
