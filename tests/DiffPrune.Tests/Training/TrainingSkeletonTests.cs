using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tensors.IO;
using DiffPrune.Tests.Data;
using DiffPrune.Tests.Models;
using DiffPrune.Training;
using DiffPrune.Training.Pretraining;
using DiffPrune.Training.Pruner;

namespace DiffPrune.Tests.Training;

public class TrainingSkeletonTests
{
    public sealed record Line(int Step, double Loss);

    [Fact]
    public void ALogOpenedAfterACrashMidAppendDropsItsTornLastLineAndKeepsTheRest()
    {
        using var dir = new TempDirectory();
        var path = dir.File("log.jsonl");
        var log = new RunLog<Line>(path, _ => true);
        for (int s = 0; s < 4; s++) log.Add(new Line(s, 1.0 / (s + 1)));
        File.AppendAllText(path, "{\"Step\":4,\"Lo");   // the process died in the middle of this append
        var reopened = new RunLog<Line>(path, l => l.Step < 3);
        Assert.Equal([0, 1, 2], reopened.Records.Select(l => l.Step));
        Assert.Equal(3, File.ReadAllLines(path).Length);
        reopened.Add(new Line(3, 0.5));
        Assert.Equal([0, 1, 2, 3], new RunLog<Line>(path, _ => true).Records.Select(l => l.Step));

        var lines = File.ReadAllLines(path);
        lines[1] = "{\"Step\":1,\"Lo";   // damage inside the file is not a torn append: refused, naming file and line
        File.WriteAllLines(path, lines);
        var e = Assert.Throws<InvalidDataException>(() => new RunLog<Line>(path, _ => true));
        Assert.Contains(path, e.Message);
        Assert.Contains("line 2", e.Message);
    }

    [Theory]
    [InlineData("{\"Step\":4,\"Loss\":0.")]          // cut inside a number
    [InlineData("{\"Step\":4,\"Loss\":0.2}")]        // whole but for its newline: kept
    [InlineData("\0\0\0\0\0\0")]                        // a file system that extended the file before the data reached it
    [InlineData("{\"Step\":4,\"Loss\":0.2}\n  \n\n")]  // blank lines after the last record
    [InlineData("{\"St\u00e9")]                         // cut inside a multi-byte character
    public void EveryAppendIsAWholeLineAndEveryKindOfTornTailIsDroppedOnResume(string tail)
    {
        using var dir = new TempDirectory();
        var path = dir.File("log.jsonl");
        var log = new RunLog<Line>(path, _ => true);
        for (int s = 0; s < 4; s++)
        {
            log.Add(new Line(s, 1.0 / (s + 1)));
            Assert.EndsWith("}\n", File.ReadAllText(path));   // each append ends its line
        }
        var bytes = System.Text.Encoding.UTF8.GetBytes(tail);
        if (tail.EndsWith('\u00e9')) bytes = bytes[..^1];   // half of é's two bytes
        using (var stream = new FileStream(path, FileMode.Append)) stream.Write(bytes);
        bool whole = tail.StartsWith("{\"Step\":4,\"Loss\":0.2}", StringComparison.Ordinal);
        var reopened = new RunLog<Line>(path, _ => true);
        Assert.Equal(whole ? [0, 1, 2, 3, 4] : [0, 1, 2, 3], reopened.Records.Select(l => l.Step));
        reopened.Add(new Line(9, 0.1));
        Assert.Equal(whole ? [0, 1, 2, 3, 4, 9] : [0, 1, 2, 3, 9], new RunLog<Line>(path, _ => true).Records.Select(l => l.Step));
    }

    [Fact]
    public void AForwardThatMeetsANonFiniteValueIsASkippedStep()
    {
        var p = Parameter(1f);
        var optimizer = new GuardedOptimizer(new OptimizerSettings { MaxBadSteps = 2 }, [p], 4, "test training");
        var before = p.ToArray();
        var step = optimizer.Step(0, () => throw new NonFiniteValueException("row 0 of the scorer logits holds a non-finite value"));
        Assert.True(step.Skipped && double.IsNaN(step.Loss));
        Assert.Equal(before, p.ToArray());
        var e = Assert.Throws<TrainingDivergedException>(() => optimizer.Step(1, () => throw new NonFiniteValueException("again")));
        Assert.Contains("learning rate", e.Message);
    }

    static Tensor Parameter(float value)
    {
        var p = Tensor.FromArray([value, -value], 2);
        p.RequiresGrad = true;
        return p;
    }

    [Fact]
    public void TheGuardedStepFollowsTheScheduleSkipsNonFiniteStepsAndStopsAfterMaxBadStepsInARow()
    {
        var p = Parameter(1f);
        var settings = new OptimizerSettings { LearningRate = 0.1, WarmupSteps = 2, FinalLearningRateFraction = 0.5, MaxBadSteps = 2 };
        var optimizer = new GuardedOptimizer(settings, [p], 6, "test training");
        var schedule = new DiffPrune.Tensors.Optim.CosineSchedule(0.1, 0.05, 6, 2);
        double Loss(bool poisoned) => GuardedOptimizer.Backward(p.Mul(p).Sum().Mul(poisoned ? float.NaN : 1f));

        var first = optimizer.Step(0, () => Loss(false));
        Assert.Equal(schedule.At(0), first.LearningRate, 12);
        Assert.False(first.Skipped);
        Assert.Equal(Math.Sqrt(8), first.GradNorm, 5);   // d(Σp²)/dp = 2p = (2, −2)
        var before = p.ToArray();
        var bad = optimizer.Step(1, () => Loss(true));
        Assert.True(bad.Skipped && double.IsNaN(bad.Loss));
        Assert.Equal(before, p.ToArray());                  // nothing applied
        Assert.False(optimizer.Step(2, () => Loss(false)).Skipped);   // a good step resets the count
        optimizer.Step(3, () => Loss(true));
        var e = Assert.Throws<TrainingDivergedException>(() => optimizer.Step(4, () => Loss(true)));
        Assert.Contains("test training step 4", e.Message);
        Assert.Contains("2 step(s) in a row", e.Message);
        Assert.Null(p.Grad);
    }

    [Fact]
    public void OptimizerSettingsNameTheRecordAndTheSettingAtFault()
    {
        var e = Assert.Throws<ArgumentException>(() => new PrunerTrainingOptions { Optimizer = new() { MaxGradNorm = 0 } }.Validate());
        Assert.StartsWith("pruner training options: ", e.Message);
        Assert.Contains("MaxGradNorm = 0", e.Message);
        Assert.Contains("FinalLearningRateFraction = 2", Assert.Throws<ArgumentException>(() =>
            new PretrainOptions { Optimizer = new() { FinalLearningRateFraction = 2 } }.Validate()).Message);
    }

    static readonly WordTokenizer Tokenizer = WordTokenizer.ForSceneBench();

    static readonly PrunerTrainingOptions Options = new()
    {
        Seed = 4,
        Keep = 16,
        Steps = 5,
        BatchSize = 2,
        StandardizerScenes = 4,
        ValidationScenes = 2,
        FeaturePool = 4,
        EvalEvery = 100,
        CheckpointEvery = 2,
    };

    [Fact]
    public void APrunerRunCheckpointsEveryNStepsAndAtTheEndAndItsCheckpointKnowsTheFrozenVlmsWeights()
    {
        var vlm = new LlavaModel(TinyModels.SceneLlava(), new Generator(3));
        using var dir = new TempDirectory();
        var run = PrunerTrainingRun.Start(vlm, Tokenizer, SceneOptions.Default, Options, dir.Path);
        var checkpoint = dir.File("checkpoint.safetensors");
        var saved = new List<string>();
        while (!run.Done)
        {
            var (_, validation) = run.Next();
            saved.Add(File.Exists(checkpoint) ? SafeTensors.ReadMetadata(checkpoint)["step"] : "-");
            Assert.Equal(run.Trainer.Step == Options.Steps, validation != null);   // validation only at the end here
        }
        Assert.Equal(["-", "2", "2", "4", "5"], saved);

        // same architecture, other weights: the resumed run would train through another model, so it is refused
        var other = new LlavaModel(TinyModels.SceneLlava(), new Generator(4));
        var e = Assert.Throws<InvalidDataException>(() => PrunerTrainingRun.Start(other, Tokenizer, SceneOptions.Default, Options, dir.Path, resume: true));
        Assert.Contains("frozen_weights_sha256", e.Message);
        Assert.Single(e.Message.Split('\n'));
        Assert.Equal(5, PrunerTrainingRun.Start(vlm, Tokenizer, SceneOptions.Default, Options, dir.Path, resume: true).Trainer.Step);
    }
}
