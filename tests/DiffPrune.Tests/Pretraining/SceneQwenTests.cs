using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tests.Data;
using DiffPrune.Training.Pretraining;

namespace DiffPrune.Tests.Pretraining;

/// <summary>The Qwen2.5-VL-style SceneBench model (<see cref="SceneQwen"/>): its tokenizer, its tokens per scene patch, its folder.</summary>
public class SceneQwenTests
{
    static readonly WordTokenizer Words = WordTokenizer.ForSceneBench();
    static readonly SceneOptions Variable = SceneOptions.For(SceneBenchConfiguration.Classic, 144, SceneResolution.Variable);

    [Fact]
    public void TheTokenizerAppendsVisionStartAndEndKeepingEveryWordsId()
    {
        var tokenizer = SceneQwen.Tokenizer(Words);
        Assert.Equal(Words.VocabSize + 2, tokenizer.VocabSize);
        Assert.Equal(Words.Tokens, tokenizer.Tokens.Take(Words.VocabSize));
        var cfg = SceneQwen.Config(tokenizer);
        Assert.Equal((Words.VocabSize, Words.VocabSize + 1), (cfg.VisionStartTokenId, cfg.VisionEndTokenId));
        Assert.Equal(WordTokenizer.ImageId, cfg.ImageTokenId);
        Assert.Equal(Words.Encode("what color is the circle?"), tokenizer.Encode("what color is the circle?"));
        Assert.DoesNotContain(cfg.VisionStartTokenId, tokenizer.Encode(SceneQwen.VisionStart + " " + SceneQwen.VisionEnd)); // text never makes them
        Assert.Equal(cfg.Vision.SpatialMergeSize * cfg.Vision.PatchSize, Variable.PatchSize);
        Assert.Equal(cfg.Text.HiddenSize / cfg.Text.NumHeads / 2, cfg.Text.MropeSection!.Sum()); // M-RoPE splits head_dim / 2 frequency pairs
        Assert.Contains("SceneQwen.Tokenizer", Assert.Throws<ArgumentException>(() => SceneQwen.Config(Words)).Message);
        Assert.Contains("already holds", Assert.Throws<ArgumentException>(() => SceneQwen.Tokenizer(tokenizer)).Message);
    }

    [Fact]
    public void EachMergedTokenIsTheScenePatchOfTheSameIndex()
    {
        var cfg = SceneQwen.Config(SceneQwen.Tokenizer(Words));
        var examples = new SceneBench(Variable).Split(SceneSplit.Validation, 6).ToArray();
        Assert.True(examples.Select(e => (e.Scene.Image.Width, e.Scene.Image.Height)).Distinct().Count() >= 2, "the scenes should come in different sizes");
        var model = SceneQwen.Create(cfg, new Generator(1), [examples[0].Scene.Image]);
        using var _ = Autograd.NoGrad();
        foreach (var scene in examples.Select(e => e.Scene))
        {
            var encoded = model.Visual.Encode(SceneQwen.Pixels(scene.Image));
            int n = scene.Image.Height / 8 * (scene.Image.Width / 8), columns = scene.Options.GridColumns, patch = scene.Options.PatchSize;
            Assert.Equal(n, encoded.Tokens.Shape[0]);
            Assert.Equal(n, scene.PatchObject.Count);
            for (int j = 0; j < n; j++)
            {
                Assert.Equal((j / columns, j % columns), encoded.Grid.TokenAt(j));
                // the 4 tower patches merged into token j lie inside scene patch j's pixels
                for (int u = 0; u < 4; u++)
                {
                    var (r, c) = encoded.Grid.PatchAt(4 * j + u);
                    Assert.Equal((j / columns, j % columns), (r * cfg.Vision.PatchSize / patch, c * cfg.Vision.PatchSize / patch));
                }
            }
        }
    }

    [Fact]
    public void TheModelsEmbeddingsAreAtTheVisualTokensScaleAndItsFolderLoadsBack()
    {
        var tokenizer = SceneQwen.Tokenizer(Words);
        var cfg = SceneQwen.Config(tokenizer, languageLayers: 2);
        var probe = new SceneBench(Variable).Split(SceneSplit.Validation, 2).Select(e => e.Scene.Image).ToArray();
        var model = SceneQwen.Create(cfg, new Generator(2), probe);
        float Rms(float[] v) => MathF.Sqrt(v.Sum(x => x * x) / v.Length);
        float visual;
        using (Autograd.NoGrad()) visual = Rms(probe.SelectMany(i => model.Visual.Encode(SceneQwen.Pixels(i)).Tokens.ToArray()).ToArray());
        Assert.InRange(Rms(model.LanguageModel.Model.EmbedTokens.Weight.ToArray()) / visual, 0.95, 1.05);
        using var dir = new TempDirectory();
        HfCheckpoint.Save(model, dir.Path);
        var loaded = HfCheckpoint.LoadQwen25Vl(dir.Path);
        Assert.Equal(HfConfig.ToJson(cfg), HfConfig.ToJson(loaded.Config));
        Assert.Equal(cfg.Text.MropeSection, loaded.Config.Text.MropeSection);
        Assert.True(loaded.Config.Text.AttentionBias);
        foreach (var (name, p) in model.NamedParameters()) Assert.Equal(p.ToArray(), loaded.StateDict()[name].ToArray());
    }
}
