using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tests.Data;
using DiffPrune.Tests.Models;
using DiffPrune.Training.Pretraining;

namespace DiffPrune.Tests.Pretraining;

public class LanguageModelDeepeningTests
{
    static readonly WordTokenizer Tokenizer = WordTokenizer.ForSceneBench();

    static LlavaConfig WithLayers(int layers)
    {
        var cfg = TinyModels.SceneLlava();
        return cfg with { Text = cfg.Text with { NumLayers = layers } };
    }

    [Fact]
    public void CopiesAreSpreadEvenlyEachAfterTheLayerItCopies()
    {
        Assert.Equal([(0, false), (1, false), (1, true), (2, false), (3, false), (3, true)], LanguageModelDeepening.Plan(4, 6));
        Assert.Equal([(0, false), (1, false), (1, true)], LanguageModelDeepening.Plan(2, 3));
        Assert.Equal([(0, false), (0, true), (1, false), (1, true)], LanguageModelDeepening.Plan(2, 4));
        Assert.Throws<ArgumentException>(() => LanguageModelDeepening.Plan(4, 4));
        Assert.Throws<ArgumentException>(() => LanguageModelDeepening.Plan(2, 5));
    }

    [Fact]
    public void ADeepenedModelComputesExactlyWhatItsSourceDidAndItsCopiesCanLearn()
    {
        using var dir = new TempDirectory();
        var source = new LlavaModel(WithLayers(2), new Generator(11));
        HfCheckpoint.Save(source, dir.Path);
        var deep = new LlavaModel(WithLayers(4), new Generator(12));
        Pretrainer.LoadModelWeights(dir.Path, deep);

        var scene = Scene.Generate(3, SceneOptions.Default);
        var pixels = ImageTensors.ToTensor([scene.Image], ImageNormalization.Clip);
        int[][] prompt = [ScenePrompt.PromptIds(Tokenizer, "where is the red circle?")];
        float[] expected, actual;
        using (Autograd.NoGrad())
        {
            expected = new VlmInference(source).Forward(pixels, prompt).Logits.ToArray();
            actual = new VlmInference(deep).Forward(pixels, prompt).Logits.ToArray();
        }
        Assert.Equal(expected, actual); // a copy adds exact zeros to the residual stream

        var copy = deep.LanguageModel.Model.Layers[1];
        var original = source.LanguageModel.Model.Layers[0];
        Assert.Equal(original.SelfAttn.QProj.Weight.ToArray(), copy.SelfAttn.QProj.Weight.ToArray());
        Assert.All(copy.SelfAttn.OProj.Weight.ToArray(), w => Assert.Equal(0f, w));

        var logits = new VlmInference(deep).Forward(pixels, prompt).Logits;
        logits.Mul(logits).Sum().Backward();
        Assert.True(SumOfSquares(copy.SelfAttn.OProj.Weight.Grad!) > 0, "the copy's attention output gets a gradient");
        Assert.True(SumOfSquares(copy.Mlp.DownProj.Weight.Grad!) > 0, "the copy's MLP output gets a gradient");
    }

    static float SumOfSquares(Tensor t) => System.Numerics.Tensors.TensorPrimitives.SumOfSquares(t.Data);

    [Fact]
    public void AModelCannotStartOneOfFewerOrTooManyLayers()
    {
        using var dir = new TempDirectory();
        HfCheckpoint.Save(new LlavaModel(WithLayers(2), new Generator(1)), dir.Path);
        var tooDeep = Assert.Throws<InvalidDataException>(() => Pretrainer.LoadModelWeights(dir.Path, new LlavaModel(WithLayers(5), new Generator(1))));
        Assert.Contains("2 layers", tooDeep.Message);
        Assert.Throws<InvalidDataException>(() => Pretrainer.LoadModelWeights(dir.Path, new LlavaModel(WithLayers(1), new Generator(1))));
        var wider = TinyModels.SceneLlava(textWidth: 32);
        Assert.Throws<InvalidDataException>(() => Pretrainer.LoadModelWeights(dir.Path, new LlavaModel(wider with { Text = wider.Text with { NumLayers = 3 } }, new Generator(1))));
    }

    [Fact]
    public void TheDepthOptionShapesTheModelAndIsRecorded()
    {
        var options = new PretrainOptions { VisionSteps = 1, LanguageLayers = 3 };
        Assert.Contains("language_layers = 3", options.Describe());
        Assert.DoesNotContain("language_layers", new PretrainOptions().Describe());
        Assert.Equal(3, SceneVlm.Config(SceneOptions.Default, Tokenizer.VocabSize, options.LanguageLayers).Text.NumLayers);
        Assert.Throws<ArgumentException>(() => (options with { LanguageLayers = 0 }).Validate());
    }
}
