using System.Diagnostics;
using DiffPrune.Tensors.IO;

namespace DiffPrune.Tensors.Tests.IO;

/// <summary>The checks every loader makes before it opens a file or commits memory.</summary>
public class InputChecksTests
{
    [Fact]
    public void InputFileRefusesFoldersEmptyFilesAndMissingOnes()
    {
        using var dir = new TempDir();
        Assert.Contains("is a folder", Assert.Throws<InvalidDataException>(() => InputFile.CheckRegular(dir.Path, "model")).Message);
        File.WriteAllBytes(dir.File("empty"), []);
        Assert.Contains("is empty (0 bytes)", Assert.Throws<InvalidDataException>(() => InputFile.CheckRegular(dir.File("empty"), "model")).Message);
        Assert.Throws<FileNotFoundException>(() => InputFile.CheckRegular(dir.File("absent"), "model"));
        File.WriteAllBytes(dir.File("ok"), [1]);
        InputFile.CheckRegular(dir.File("ok"), "model");
    }

    [UnixFact("FIFOs are a Unix thing")]
    public void InputFileRefusesAFifoWithoutOpeningIt()
    {
        using var dir = new TempDir();
        using (var mkfifo = Process.Start("mkfifo", dir.File("pipe"))) mkfifo.WaitForExit();
        var e = Assert.Throws<InvalidDataException>(() => InputFile.CheckRegular(dir.File("pipe"), "model"));
        Assert.Contains("not a regular file", e.Message);
        // the safetensors reader checks first, so it does not block on the pipe either
        Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Open(dir.File("pipe")));
    }

    [Fact]
    public void MemoryBudgetRefusesMoreThanIsAvailableNamingBothSizes()
    {
        MemoryBudget.Require(1 << 20, "a small buffer", "n/a", available: 2 << 20);
        var e = Assert.Throws<ResourceLimitException>(() => MemoryBudget.Require(3L << 30, "model folder m", "use a smaller model", available: 1L << 30));
        Assert.Contains("model folder m needs about 3.0 GB", e.Message);
        Assert.Contains("1.0 GB", e.Message);
        Assert.Contains("use a smaller model", e.Message);
        Assert.True(MemoryBudget.AvailableBytes > 0);
        Assert.Throws<ResourceLimitException>(() => MemoryBudget.Require(long.MaxValue, "x", "y"));
    }

    [Fact]
    public void FiniteWeightsNameTheTensorAndTheFirstBadElement()
    {
        FiniteWeights.Check([1f, -2f, 0f], "f", "ok");
        FiniteWeights.Check([], "f", "empty");
        var values = new float[100];
        values[37] = float.NaN;
        values[50] = float.PositiveInfinity;
        var e = Assert.Throws<InvalidDataException>(() => FiniteWeights.Check(values, "m.safetensors", "blocks.0.w"));
        Assert.Contains("m.safetensors: tensor 'blocks.0.w' holds NaN at element 37 of 100", e.Message);
        values[37] = 0;
        Assert.Contains("at element 50", Assert.Throws<InvalidDataException>(() => FiniteWeights.Check(values, "m", "w")).Message);
    }

    [Fact]
    public void LoadingNonFiniteSafeTensorsNamesTheTensor()
    {
        using var dir = new TempDir();
        var linear = new Nn.Linear(3, 2, true, new Generator(1));
        var state = linear.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        state["bias"].Data[1] = float.NegativeInfinity;
        SafeTensors.Save(dir.File("w.safetensors"), state);
        var e = Assert.Throws<InvalidDataException>(() => linear.LoadSafeTensors(dir.File("w.safetensors")));
        Assert.Contains("'bias'", e.Message);
        Assert.Contains("holds -Infinity", e.Message);
    }
}
