using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Eval;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;
using DiffPrune.Tests.Data;
using DiffPrune.Tests.Models;
using DiffPrune.Training.Pretraining;

namespace DiffPrune.Tests.Pretraining;

/// <summary>The three pretraining stages on variable-resolution scenes train the Qwen2.5-VL-style model (<see cref="SceneQwen"/>).</summary>
public class QwenPretrainingTests
{
    static readonly WordTokenizer Tokenizer = SceneQwen.Tokenizer(WordTokenizer.ForSceneBench());

    /// <summary>SceneQwen's layout at toy widths (its geometry: 4 px patches merged 2 × 2, 32 px windows).</summary>
    static Qwen25VlConfig TinyConfig()
    {
        var cfg = SceneQwen.Config(Tokenizer, languageLayers: 2);
        return cfg with
        {
            Vision = cfg.Vision with { Depth = 2, HiddenSize = 16, NumHeads = 2, IntermediateSize = 24, FullAttentionBlocks = [1], OutHiddenSize = 32 },
            Text = cfg.Text with { HiddenSize = 32, IntermediateSize = 48, NumHeads = 2, NumKvHeads = 2, MropeSection = [2, 3, 3] },
        };
    }

    static PretrainOptions TinyOptions() => new()
    {
        Seed = 7,
        Scenes = SceneOptions.For(SceneBenchConfiguration.Classic, 144, SceneResolution.Variable),
        VisionSteps = 2,
        VisionBatch = 2,
        AlignmentSteps = 2,
        InstructionSteps = 2,
        CaptionsPerStep = 2,
        ScenesPerStep = 2,
        ItemsPerScene = 3,
        TurnsPerSequence = 2,
        CaptionShare = 0.5,
        BackgroundDropShare = 0.5,
        PositionHeads = true,
        Optimizer = new PretrainOptions().Optimizer with { WarmupSteps = 1 },
    };

    static Dictionary<string, float[]> Weights(Pretrainer t) =>
        ((Module)t.Vlm).NamedParameters().Concat(t.Heads.NamedParameters().Select(p => ("heads." + p.Name, p.Value))).ToDictionary(p => p.Item1, p => p.Item2.ToArray());

    [Theory]
    [InlineData(1)] // inside stage 0
    [InlineData(5)] // inside stage 2
    public void AResumedRunEndsWithTheWeightsOfAnUninterruptedOne(int interruptAt)
    {
        var options = TinyOptions();
        var straight = Pretrainer.Create(options, Tokenizer, TinyConfig());
        while (!straight.Done) Assert.True(double.IsFinite(straight.TrainStep().Loss));

        using var dir = new TempDirectory();
        var first = Pretrainer.Create(options, Tokenizer, TinyConfig());
        while (first.Step < interruptAt) first.TrainStep();
        first.SaveCheckpoint(dir.File("ckpt.safetensors"));
        var resumed = Pretrainer.Resume(dir.File("ckpt.safetensors"), options, Tokenizer, TinyConfig());
        Assert.Equal(interruptAt, resumed.Step);
        while (!resumed.Done) resumed.TrainStep();

        var expected = Weights(straight);
        var actual = Weights(resumed);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, w) in expected) Assert.True(w.AsSpan().SequenceEqual(actual[name]), $"{name} differs after resuming at step {interruptAt}");
        // another architecture's checkpoint is refused
        var wider = TinyConfig() with { Text = TinyConfig().Text with { IntermediateSize = 64 } };
        Assert.Throws<InvalidDataException>(() => Pretrainer.Resume(dir.File("ckpt.safetensors"), options, Tokenizer, wider));
    }

    [Fact]
    public void StageZeroTrainsTowerMergerAndHeadsAndLaterStagesOnlyMergerAndLanguageModel()
    {
        var t = Pretrainer.Create(TinyOptions(), Tokenizer, TinyConfig());
        Assert.Throws<InvalidOperationException>(() => t.Model);
        var start = Weights(t);
        while (t.Step < 2) t.TrainStep();
        var afterVision = Weights(t);
        static bool Language(string name) => name.StartsWith("model.") || name.StartsWith("lm_head");
        static bool Merger(string name) => name.StartsWith("visual.merger");
        bool Changed(Dictionary<string, float[]> now, Dictionary<string, float[]> before, string name) => !now[name].AsSpan().SequenceEqual(before[name]);
        foreach (var prefix in new[] { "visual.blocks", "visual.patch_embed", "visual.merger", "heads." })
            Assert.Contains(afterVision.Keys, k => k.StartsWith(prefix) && Changed(afterVision, start, k));
        Assert.All(afterVision.Keys.Where(Language), k => Assert.False(Changed(afterVision, start, k), $"{k} changed in stage 0"));
        while (!t.Done) t.TrainStep();
        var end = Weights(t);
        Assert.All(end.Keys.Where(k => !Language(k) && !Merger(k)), k => Assert.False(Changed(end, afterVision, k), $"{k} changed in stages 1–2"));
        Assert.Contains(end.Keys, k => Merger(k) && Changed(end, afterVision, k)); // the merger is the projector
        Assert.Contains(end.Keys, k => Language(k) && Changed(end, afterVision, k));
    }

    [Fact]
    public void TheModelFolderLoadsAsTheQwenModelAndIsScoredWithRandomPruningPerImage()
    {
        var t = Pretrainer.Create(TinyOptions() with { VisionSteps = 1, AlignmentSteps = 0, InstructionSteps = 1 }, Tokenizer, TinyConfig());
        while (!t.Done) t.TrainStep();
        using var dir = new TempDirectory();
        t.SaveModel(dir.Path, new Dictionary<string, string> { ["format"] = "pt" });
        Tokenizer.Save(Path.Combine(dir.Path, ModelFolder.TokenizerFile));
        var (vlm, tokenizer) = ModelFolder.LoadAny(dir.Path);
        var qwen = Assert.IsType<Qwen25VlModel>(vlm);
        Assert.Equal(Tokenizer.Tokens, tokenizer.Tokens);
        foreach (var (name, p) in ((Module)t.Vlm).NamedParameters()) Assert.Equal(p.ToArray(), qwen.StateDict()[name].ToArray());

        var scenes = new SceneBench(t.Options.Scenes).Split(SceneSplit.Test, 2).ToArray();
        var random = new PerImageRate(k => new RandomPruner(k, 1), 1.0 / 9, 16);
        var scores = new SceneBenchEvaluator(new VlmInference(vlm), tokenizer, batchSize: 4).Evaluate(scenes, random);
        Assert.NotEmpty(scores);
        Assert.All(scores, s => Assert.InRange(s.Value, 0, 1));
    }

    [Fact]
    public void ALlavaModelFolderStartsTheLanguageModelWhichThenComputesWhatItsLlamaDid()
    {
        var shape = TinyModels.SceneLlava(textWidth: 32);
        var llava = new LlavaModel(shape with { Text = shape.Text with { IntermediateSize = 48 } }, new Generator(9));
        using var dir = new TempDirectory();
        HfCheckpoint.Save(llava, dir.Path);
        var t = Pretrainer.Create(TinyOptions() with { InitFrom = dir.Path }, Tokenizer, TinyConfig());
        var lm = ((Qwen25VlModel)t.Vlm).LanguageModel;
        var biases = Enumerable.Range(0, lm.Config.NumLayers).Select(i => lm.Model.Layers[i]).SelectMany(l => new[] { l.SelfAttn.QProj, l.SelfAttn.KProj, l.SelfAttn.VProj }).SelectMany(p => p.Bias!.ToArray());
        Assert.All(biases, b => Assert.Equal(0f, b));
        int[] ids = Tokenizer.Encode("what color is the circle? red");
        int v = llava.Config.Text.VocabSize, n = ids.Length;
        using var _ = Autograd.NoGrad();
        var expected = llava.LanguageModel.Forward(TinyModels.Prompt(llava.LanguageModel, ids)).Logits.ToArray();
        var text = Enumerable.Range(0, n).ToArray();
        var actual = lm.Forward(new DecoderInput(lm.Embed(new IntTensor(ids, 1, n)), [.. text, .. text, .. text])).Logits; // text: equal ids in all planes
        Assert.Equal(v + 2, actual.Shape[2]);
        var words = Enumerable.Range(0, n).SelectMany(i => actual.ToArray().AsSpan((i * (v + 2)), v).ToArray()).ToArray();
        Tolerance.AssertClose(expected, words, atol: 1e-5, rtol: 0, what: "the words' logits of the started LLM");
        // a LLaMA of other widths cannot start it
        using var other = new TempDirectory();
        HfCheckpoint.Save(new LlavaModel(TinyModels.SceneLlava(), new Generator(9)), other.Path);
        Assert.Contains("--lm-layers", Assert.Throws<InvalidDataException>(() => Pretrainer.Create(TinyOptions() with { InitFrom = other.Path }, Tokenizer, TinyConfig())).Message);
    }

    [Fact]
    public void VariableScenesRefuseALlavaModelAndOtherScenesAQwenOne()
    {
        Assert.Contains("LlavaConfig", Assert.Throws<ArgumentException>(() => Pretrainer.Create(TinyOptions(), Tokenizer, TinyModels.SceneLlava())).Message);
        Assert.Contains("--resolution variable", Assert.Throws<ArgumentException>(() => Pretrainer.Create(TinyOptions() with { Scenes = SceneOptions.Default }, Tokenizer, TinyConfig())).Message);
        Assert.Contains("SceneQwen.Tokenizer", Assert.Throws<ArgumentException>(() => Pretrainer.Create(TinyOptions(), WordTokenizer.ForSceneBench())).Message);
    }
}
