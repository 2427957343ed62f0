using DiffPrune.Data.Text;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors.IO;
using DiffPrune.Tensors.Nn;
using DiffPrune.Tests.Data;
using DiffPrune.Tests.Models;
using DiffPrune.Training.Pretraining;

namespace DiffPrune.Tests.Pretraining;

public class PretrainCheckpointTests
{
    static readonly WordTokenizer Tokenizer = WordTokenizer.ForSceneBench();


    static readonly PretrainOptions Options = new() { VisionSteps = 2, VisionBatch = 2, AlignmentSteps = 1, InstructionSteps = 1, CaptionsPerStep = 2, ScenesPerStep = 1, ItemsPerScene = 2, Optimizer = new PretrainOptions().Optimizer with { WarmupSteps = 1 } };

    static string Saved(TempDirectory dir)
    {
        var t = Pretrainer.Create(Options, Tokenizer, TinyModels.SceneLlava());
        t.TrainStep();
        var path = dir.File("checkpoint.safetensors");
        t.SaveCheckpoint(path);
        return path;
    }

    [Fact]
    public void ADamagedCheckpointIsRefusedByItsDigest()
    {
        using var dir = new TempDirectory();
        var path = Saved(dir);
        var bytes = File.ReadAllBytes(path);
        bytes[^5] ^= 0x40; // one bit of the last tensor
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => Pretrainer.Resume(path, Options, Tokenizer, TinyModels.SceneLlava()));
        Assert.Contains("damaged", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void ATruncatedCheckpointNamesTheFile()
    {
        using var dir = new TempDirectory();
        var path = Saved(dir);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => Pretrainer.Resume(path, Options, Tokenizer, TinyModels.SceneLlava()));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void OtherOptionsOrAnotherModelAreNamed()
    {
        using var dir = new TempDirectory();
        var path = Saved(dir);
        var e = Assert.Throws<InvalidDataException>(() => Pretrainer.Resume(path, Options with { InstructionSteps = 7 }, Tokenizer, TinyModels.SceneLlava()));
        Assert.Contains("instruction_steps = 1", e.Message);
        Assert.Contains("instruction_steps = 7", e.Message);
        e = Assert.Throws<InvalidDataException>(() => Pretrainer.Resume(path, Options, Tokenizer, TinyModels.SceneLlava(textWidth: 32)));
        Assert.Contains("config", e.Message);
        Assert.Contains("hidden_size", e.Message);
    }

    [Fact]
    public void AModelFileIsNotACheckpoint()
    {
        using var dir = new TempDirectory();
        var path = dir.File("model.safetensors");
        new LlavaModel(TinyModels.SceneLlava(), new DiffPrune.Tensors.Generator(1)).SaveSafeTensors(path);
        var e = Assert.Throws<InvalidDataException>(() => Pretrainer.Resume(path, Options, Tokenizer, TinyModels.SceneLlava()));
        Assert.Contains("not a diffprune-pretrain-v1 checkpoint", e.Message);
        Assert.Throws<FileNotFoundException>(() => Pretrainer.Resume(dir.File("missing.safetensors"), Options, Tokenizer, TinyModels.SceneLlava()));
    }

    [Fact]
    public void TheLogOfAResumedRunDropsTheStepsItRetakes()
    {
        using var dir = new TempDirectory();
        var log = new PretrainLog(dir.Path, 0);
        for (int s = 0; s < 5; s++) log.Step(new PretrainStepReport(s, PretrainStage.Vision, s, 1.0 / (s + 1), 0.5, 1e-3, 1, 2, 0.1, false));
        log.Vision(3, new DenseAccuracy(0.9, 0.8, 0.7, 0.6, 0.5));
        log.Evaluation(5, "test", []);
        var reopened = new PretrainLog(dir.Path, 3);
        Assert.Equal([0, 1, 2], reopened.Steps.Select(r => r.Step));
        Assert.Equal(0.9, Assert.Single(reopened.Evaluations).Vision!.Color);
        Assert.Equal(3, File.ReadAllLines(dir.File("log.jsonl")).Length);
    }
}
