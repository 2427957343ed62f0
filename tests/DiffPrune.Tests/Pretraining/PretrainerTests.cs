using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Pretraining;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors.Nn;
using DiffPrune.Tests.Data;

namespace DiffPrune.Tests.Pretraining;

public class PretrainerTests
{
    static readonly WordTokenizer Tokenizer = WordTokenizer.ForSceneBench();

    // SceneBench geometry (96 px, 8 px patches) at toy width: a step takes milliseconds
    static LlavaConfig TinyConfig() => new()
    {
        Vision = new VisionConfig { ImageSize = 96, PatchSize = 8, HiddenSize = 16, IntermediateSize = 32, NumLayers = 2, NumHeads = 2, HiddenAct = Activation.QuickGelu },
        Text = new LlamaConfig { VocabSize = Tokenizer.VocabSize, HiddenSize = 16, IntermediateSize = 24, NumLayers = 2, NumHeads = 2, NumKvHeads = 2, TieWordEmbeddings = false },
        ImageTokenId = WordTokenizer.ImageId,
    };

    static PretrainOptions TinyOptions(ulong seed = 5) => new()
    {
        Seed = seed,
        VisionSteps = 3,
        VisionBatch = 2,
        AlignmentSteps = 2,
        InstructionSteps = 3,
        ScenesPerStep = 2,
        ItemsPerScene = 2,
        CaptionShare = 0.3,
        WarmupSteps = 1,
    };

    static Dictionary<string, float[]> Weights(Pretrainer t) =>
        t.Model.NamedParameters().Concat(t.Heads.NamedParameters().Select(p => ("heads." + p.Name, p.Value))).ToDictionary(p => p.Item1, p => p.Item2.ToArray());

    [Theory]
    [InlineData(2)] // inside stage 0
    [InlineData(3)] // at the stage 0 → 1 boundary (no optimizer state carried over)
    [InlineData(6)] // inside stage 2
    public void AResumedRunEndsWithTheWeightsOfAnUninterruptedOne(int interruptAt)
    {
        var options = TinyOptions();
        var straight = Pretrainer.Create(options, Tokenizer, TinyConfig());
        while (!straight.Done) straight.TrainStep();

        using var dir = new TempDirectory();
        var first = Pretrainer.Create(options, Tokenizer, TinyConfig());
        while (first.Step < interruptAt) first.TrainStep();
        first.SaveCheckpoint(dir.File("ckpt.safetensors"));
        var resumed = Pretrainer.Resume(dir.File("ckpt.safetensors"), options, Tokenizer, TinyConfig());
        Assert.Equal(interruptAt, resumed.Step);
        while (!resumed.Done) resumed.TrainStep();

        // same batches, same optimizer state, same kernels: equal to the bit (tolerance 0)
        var expected = Weights(straight);
        var actual = Weights(resumed);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, w) in expected) Assert.True(w.AsSpan().SequenceEqual(actual[name]), $"{name} differs after resuming at step {interruptAt}");
    }

    [Fact]
    public void StageZeroTrainsTheTowerAndLaterStagesOnlyProjectorAndLanguageModel()
    {
        var t = Pretrainer.Create(TinyOptions(), Tokenizer, TinyConfig());
        var start = Weights(t);
        while (t.Step < 3) t.TrainStep();
        var afterVision = Weights(t);
        static bool Language(string name) => name.StartsWith("language_model") || name.StartsWith("multi_modal_projector");
        Assert.Contains(afterVision, p => p.Key.StartsWith("vision_tower") && !p.Value.AsSpan().SequenceEqual(start[p.Key]));
        Assert.Contains(afterVision, p => p.Key.StartsWith("heads.") && !p.Value.AsSpan().SequenceEqual(start[p.Key]));
        foreach (var (name, w) in afterVision.Where(p => Language(p.Key))) Assert.True(w.AsSpan().SequenceEqual(start[name]), $"{name} changed in stage 0");
        while (!t.Done) t.TrainStep();
        var end = Weights(t);
        foreach (var (name, w) in end.Where(p => !Language(p.Key))) Assert.True(w.AsSpan().SequenceEqual(afterVision[name]), $"{name} changed in stages 1–2");
        Assert.Contains(end, p => p.Key.StartsWith("language_model") && !p.Value.AsSpan().SequenceEqual(afterVision[p.Key]));
        Assert.Contains(end, p => p.Key.StartsWith("multi_modal_projector") && !p.Value.AsSpan().SequenceEqual(afterVision[p.Key]));
    }

    [Fact]
    public void StepsReportTheirStageAndLearningRate()
    {
        var t = Pretrainer.Create(TinyOptions(), Tokenizer, TinyConfig());
        var reports = new List<PretrainStepReport>();
        while (!t.Done) reports.Add(t.TrainStep());
        Assert.Equal([PretrainStage.Vision, PretrainStage.Vision, PretrainStage.Vision, PretrainStage.Alignment, PretrainStage.Alignment,
            PretrainStage.Instruction, PretrainStage.Instruction, PretrainStage.Instruction], reports.Select(r => r.Stage));
        Assert.All(reports, r => Assert.True(double.IsFinite(r.Loss) && r.Loss > 0 && !r.Skipped));
        Assert.Equal(2e-3, reports[0].LearningRate, 9);                                   // warmup of 1 step reaches the peak at once
        Assert.Equal((2e-3 + 2e-4) / 2, reports[2].LearningRate, 9);                     // cosine from the peak towards 10 %: halfway at step 2 of 3
        Assert.Equal(4, reports[3].Examples);                                             // stage 1: one caption for each of 2 × 2 scenes
        Assert.Equal(4, reports[5].Examples);                                             // stage 2: 2 scenes × 2 items
        Assert.Throws<InvalidOperationException>(() => t.TrainStep());
    }

    [Fact]
    public void ANonFiniteLossStopsTrainingWithoutTouchingTheWeights()
    {
        var t = Pretrainer.Create(TinyOptions(), Tokenizer, TinyConfig());
        t.Model.VisionTower.VisionModel.PostLayerNorm.Weight.Data[0] = float.NaN; // poisons the CLS objective
        var before = Weights(t);
        var e = Assert.Throws<InvalidOperationException>(() => t.TrainStep());
        Assert.Contains("non-finite", e.Message);
        Assert.Contains("checkpoint", e.Message);
        foreach (var (name, w) in before) Assert.True(w.AsSpan().SequenceEqual(Weights(t)[name]) || name.Contains("post_layernorm"), $"{name} was updated by a NaN step");
    }
}
