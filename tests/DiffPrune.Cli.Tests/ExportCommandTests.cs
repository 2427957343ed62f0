using DiffPrune.Pruning;
using DiffPrune.Tensors;
using DiffPrune.Tensors.IO;

namespace DiffPrune.Cli.Tests;

/// <summary><c>diffprune export</c>: what it writes, and each bad input's one-line message and exit code.</summary>
public sealed class ExportCommandTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("diffprune-export-test-").FullName;
    readonly TokenScorer scorer = new(32, new Generator(2));

    string Pruner => Path.Combine(root, "pruner");

    public ExportCommandTests() => new TokenPruner(scorer, new TokenPrunerConfig(32, scorer.Heads, 2, 4)).Save(Pruner);

    public void Dispose() => Directory.Delete(root, recursive: true);


    [Fact]
    public void OnnxWritesAProtobufModelAndPrintsItsPath()
    {
        var file = Path.Combine(root, "out", "scorer.onnx");
        var (exit, output, error) = Cli.Run("export", "--pruner", Pruner, "--format", "onnx", "--out", file, "--with-topk", "4");
        Assert.True(exit == 0, error);
        Assert.Equal(file, output.Trim());
        var bytes = File.ReadAllBytes(file);
        Assert.True(bytes.Length > scorer.StateDict().Values.Sum(t => t.Numel) * 4, "the model holds every weight");
        Assert.Equal(0x08, bytes[0]);  // field 1 (ir_version), varint: every ModelProto this writes starts so
    }

    [Fact]
    public void ReferenceHoldsFeaturesAndTheEngineLogitsForThem()
    {
        var file = Path.Combine(root, "reference.safetensors");
        var (exit, _, error) = Cli.Run("export", "--pruner", Pruner, "--format", "reference", "--out", file, "--tokens", "9", "--batch", "2");
        Assert.True(exit == 0, error);
        var tensors = SafeTensors.Load(file);
        Assert.Equal([2, 9, 32], tensors["features"].Shape);
        Tensor expected;
        using (Autograd.NoGrad()) expected = scorer.Forward(tensors["features"]);
        Assert.Equal(expected.ToArray(), tensors["logits"].ToArray());
    }

    [Fact]
    public void BadInputGetsOneLineAndTheExitCodeOfItsClass()
    {
        var missing = Path.Combine(root, "no-such-pruner");
        Cli.Fails(CliErrors.BadInput, ["export", "--pruner", missing, "--out", Path.Combine(root, "a.onnx")], missing, "diffprune train");
        Cli.Fails(CliErrors.Usage, ["export", "--pruner", Pruner, "--format", "tflite", "--out", Path.Combine(root, "a.onnx")], "unknown --format 'tflite'", "onnx, reference");
        var aFile = Path.Combine(root, "a-file");
        File.WriteAllText(aFile, "");
        Cli.Fails(CliErrors.IoFailure, ["export", "--pruner", Pruner, "--out", Path.Combine(aFile, "scorer.onnx")], "cannot write", Path.Combine(aFile, "scorer.onnx"));
        Cli.Fails(CliErrors.Usage, ["export", "--pruner", Pruner, "--out", root], "is a folder");
        Cli.Fails(CliErrors.Usage, ["export", "--pruner", Pruner, "--out", Path.Combine(root, "a.onnx"), "--with-topk", "0"], "--with-topk must be at least 1");
        Assert.False(File.Exists(Path.Combine(root, "a.onnx")));
    }
}
