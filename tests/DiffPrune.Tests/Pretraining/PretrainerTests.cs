using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;
using DiffPrune.Tests.Data;
using DiffPrune.Tests.Models;
using DiffPrune.Training;
using DiffPrune.Training.Pretraining;

namespace DiffPrune.Tests.Pretraining;

public class PretrainerTests
{
    static readonly WordTokenizer Tokenizer = WordTokenizer.ForSceneBench();


    static PretrainOptions TinyOptions(ulong seed = 5) => new()
    {
        Seed = seed,
        VisionSteps = 3,
        VisionBatch = 2,
        AlignmentSteps = 2,
        InstructionSteps = 3,
        CaptionsPerStep = 4,
        ScenesPerStep = 2,
        ItemsPerScene = 2,
        CaptionShare = 0.3,
        Optimizer = new PretrainOptions().Optimizer with { WarmupSteps = 1 },
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
        var straight = Pretrainer.Create(options, Tokenizer, TinyModels.SceneLlava());
        while (!straight.Done) straight.TrainStep();

        using var dir = new TempDirectory();
        var first = Pretrainer.Create(options, Tokenizer, TinyModels.SceneLlava());
        while (first.Step < interruptAt) first.TrainStep();
        first.SaveCheckpoint(dir.File("ckpt.safetensors"));
        var resumed = Pretrainer.Resume(dir.File("ckpt.safetensors"), options, Tokenizer, TinyModels.SceneLlava());
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
        var t = Pretrainer.Create(TinyOptions(), Tokenizer, TinyModels.SceneLlava());
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
        var t = Pretrainer.Create(TinyOptions(), Tokenizer, TinyModels.SceneLlava());
        var reports = new List<PretrainStepReport>();
        while (!t.Done) reports.Add(t.TrainStep());
        Assert.Equal([PretrainStage.Vision, PretrainStage.Vision, PretrainStage.Vision, PretrainStage.Alignment, PretrainStage.Alignment,
            PretrainStage.Instruction, PretrainStage.Instruction, PretrainStage.Instruction], reports.Select(r => r.Stage));
        Assert.All(reports, r => Assert.True(double.IsFinite(r.Loss) && r.Loss > 0 && !r.Skipped));
        Assert.Equal(2e-3, reports[0].LearningRate, 9);                                   // warmup of 1 step reaches the peak at once
        Assert.Equal((2e-3 + 2e-4) / 2, reports[2].LearningRate, 9);                     // cosine from the peak towards 10 %: halfway at step 2 of 3
        Assert.Equal(4, reports[3].Examples);                                             // stage 1: 4 captions
        Assert.All(reports[5..], r => Assert.InRange(r.Examples, 4, 6));                  // stage 2: 2 scenes × 2 items, and each caption by chance
        Assert.Throws<InvalidOperationException>(() => t.TrainStep());
    }

    [Fact]
    public void ANonFiniteLossStopsTrainingWithoutTouchingTheWeights()
    {
        var t = Pretrainer.Create(TinyOptions(), Tokenizer, TinyModels.SceneLlava());
        t.Model.VisionTower.VisionModel.PostLayerNorm.Weight.Data[0] = float.NaN; // poisons the CLS objective
        var before = Weights(t);
        var e = Assert.Throws<TrainingDivergedException>(() => t.TrainStep());
        Assert.Contains("non-finite", e.Message);
        Assert.Contains("checkpoint", e.Message);
        foreach (var (name, w) in before) Assert.True(w.AsSpan().SequenceEqual(Weights(t)[name]) || name.Contains("post_layernorm"), $"{name} was updated by a NaN step");
    }
}

public class PretrainerMultiTurnAndInitTests
{
    static readonly WordTokenizer Tokenizer = WordTokenizer.ForSceneBench();


    [Fact]
    public void MultiTurnSequencesTrainEveryAnswerAndStartLikeTheEvaluationPrompt()
    {
        var (ids, isAnswer, segments) = ScenePrompt.TrainingIds(Tokenizer, [("what color is the circle?", "red"), ("is there a square?", "no")]);
        var prompt = ScenePrompt.PromptIds(Tokenizer, "what color is the circle?");
        Assert.Equal(prompt, ids[..prompt.Length]);
        var trained = ids.Where((_, j) => isAnswer[j]).ToArray();
        Assert.Equal([Tokenizer.IdOf("red"), Tokenizer.EosId, Tokenizer.IdOf("no"), Tokenizer.EosId], trained);
        int firstTurn = prompt.Length + 2; // "red <eos>"
        Assert.Equal([0, 0], segments[..2]);
        Assert.All(segments[2..firstTurn], s => Assert.Equal(1, s));
        Assert.All(segments[firstTurn..], s => Assert.Equal(2, s));
        // single turn: the mask form gives the same targets as the answer-start form
        var (single, start) = ScenePrompt.TrainingIds(Tokenizer, "what shape?", "ring");
        var (same, mask, _) = ScenePrompt.TrainingIds(Tokenizer, [("what shape?", "ring")]);
        Assert.Equal(single, same);
        Assert.Equal(Enumerable.Range(0, single.Length).Select(j => j >= start), mask);
    }

    [Fact]
    public void PackedTurnsComputeExactlyWhatEachTurnComputesAlone()
    {
        var vlm = new LlavaModel(TinyModels.SceneLlava(), new Generator(3));
        var image = Scene.Generate(7, SceneOptions.Default).Image;
        (string, string)[] turns = [("", "a small red circle at the top."), ("what color is the circle?", "red"), ("is there a square?", "no")];
        using var _ = Autograd.NoGrad();
        var inference = new VlmInference(vlm);
        var tokens = inference.Encode([image]);
        var (ids, isAnswer, segments) = ScenePrompt.TrainingIds(Tokenizer, turns);
        var packed = inference.AnswerLoss(tokens, null, [ids], [isAnswer], [segments]);
        var packedInput = vlm.BuildInput(vlm.Projector.Forward(tokens.Features), vlm.AllPatches(1), [ids], textSegments: [segments]);
        int v = packed.Logits.Shape[1], n = vlm.Config.Vision.NumPatches;
        double lossSum = 0;
        int answerTokens = 0, offset = 2; // BOS and the image token
        foreach (var turn in turns)
        {
            var (alone, aloneMask, _) = ScenePrompt.TrainingIds(Tokenizer, [turn]);
            var single = inference.AnswerLoss(tokens, null, [alone], [aloneMask]);
            int length = alone.Length - 2, answers = aloneMask.Count(m => m);
            // the turn's tokens sit at text indices offset.. in the packed sample, 2.. alone; rows = n + index − 1
            var p = packed.Logits.Data.Slice((n + offset - 1) * v, length * v);
            var a = single.Logits.Data.Slice((n + 1) * v, length * v);
            Tolerance.AssertClose(a, p, atol: 1e-4, rtol: 0, what: $"logits of turn '{turn.Item1}'");
            Assert.Equal(packedInput.Positions[(n + offset - 1)..(n + offset - 1 + length)], Enumerable.Range(n + 1, length));
            lossSum += single.Loss.Item() * answers;
            answerTokens += answers;
            offset += length;
        }
        Assert.Equal(lossSum / answerTokens, packed.Loss.Item(), 4);
        // without the segments, later turns see earlier ones and their logits differ
        var unpacked = inference.AnswerLoss(tokens, null, [ids], [isAnswer]);
        Assert.NotEqual(unpacked.Loss.Item(), packed.Loss.Item(), 4);
        Assert.Contains("empty prompt", Assert.Throws<ArgumentException>(() => ScenePrompt.TrainingIds(Tokenizer, [turns[1], turns[0]])).Message);
    }

    [Fact]
    public void TheDescriptionNamesTheRecipeAndOnlyTheOptionsARunChanged()
    {
        var d = new PretrainOptions().Describe();
        Assert.Contains("turns_per_sequence = 24", d);
        Assert.DoesNotContain("init", d);
        Assert.DoesNotContain("captions_per_step", d);
        Assert.Contains("turns_per_sequence = 4", (new PretrainOptions() with { TurnsPerSequence = 4 }).Describe());
        Assert.Throws<ArgumentException>(() => (new PretrainOptions() with { TurnsPerSequence = 0 }).Validate());
        Assert.Contains("no such", Assert.Throws<ArgumentException>(() => (new PretrainOptions() with { InitFrom = "/nonexistent/x" }).Validate()).Message);
    }

    [Fact]
    public void ARunCanStartFromAnotherRunsCheckpointAndTrainWithSeveralTurns()
    {
        using var dir = new TempDirectory();
        var first = Pretrainer.Create(new PretrainOptions { VisionSteps = 1, VisionBatch = 2, AlignmentSteps = 1, InstructionSteps = 0, CaptionsPerStep = 2, ScenesPerStep = 1, ItemsPerScene = 2, Optimizer = new PretrainOptions().Optimizer with { WarmupSteps = 1 } }, Tokenizer, TinyModels.SceneLlava());
        while (!first.Done) first.TrainStep();
        first.SaveCheckpoint(dir.File("a.safetensors"));
        var options = new PretrainOptions { VisionSteps = 0, AlignmentSteps = 0, InstructionSteps = 2, ScenesPerStep = 2, ItemsPerScene = 2, TurnsPerSequence = 3, Optimizer = new PretrainOptions().Optimizer with { WarmupSteps = 1 }, InitFrom = dir.File("a.safetensors") };
        var second = Pretrainer.Create(options, Tokenizer, TinyModels.SceneLlava());
        foreach (var (name, p) in first.Model.NamedParameters()) Assert.Equal(p.ToArray(), second.Model.StateDict()[name].ToArray());
        var report = second.TrainStep();
        Assert.Equal(PretrainStage.Instruction, report.Stage);
        Assert.True(double.IsFinite(report.Loss));
        Assert.Equal(4, report.Examples);
        var other = new LlavaModel(TinyModels.SceneLlava(textWidth: 32), new Generator(1));
        Assert.Contains("other config", Assert.Throws<InvalidDataException>(() => Pretrainer.LoadModelWeights(dir.File("a.safetensors"), other)).Message);
    }
}

public class ImageRelianceTests
{
    [Fact]
    public void LossesWithOwnAndSwappedImagesCoverCaptionsAndEverySuite()
    {
        var tokenizer = WordTokenizer.ForSceneBench();
        var config = TinyModels.SceneLlava();
        var trainer = Pretrainer.Create(new PretrainOptions { VisionSteps = 1 }, tokenizer, config);
        var reliance = trainer.MeasureImageReliance(3);
        Assert.Equal(["captions", .. SceneSuites.All.Select(s => s.DisplayName())], reliance.Select(r => r.Task));
        Assert.All(reliance, r => Assert.True(double.IsFinite(r.Matched) && double.IsFinite(r.Swapped) && r.Matched > 0));
        var captions = reliance[0];
        Assert.NotEqual(captions.Matched, captions.Swapped); // a random model still sees which image it got
        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.MeasureImageReliance(1));
    }
}
