using DiffPrune.Tensors.IO;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Tensors.Tests.IO;

public class ModuleSafeTensorsTests
{
    /// <summary>proj.weight [2, 3], proj.bias [2], norm.weight [2], norm.bias [2], scale [] (0-d).</summary>
    sealed class TinyNet : Module
    {
        public readonly Linear Proj;
        public readonly LayerNorm Norm;
        public readonly Tensor Scale;

        public TinyNet(ulong seed)
        {
            var gen = new Generator(seed);
            Proj = Child("proj", new Linear(3, 2, bias: true, gen));
            Norm = Child("norm", new LayerNorm(2));
            Norm.Weight.Data.Fill(1f + seed);
            Scale = Parameter("scale", Tensor.Randn(gen, []));
        }

        public Tensor Forward(Tensor x) => Norm.Forward(Proj.Forward(x)).Mul(Scale);
    }

    static Dictionary<string, int[]> Bits(Module m) =>
        m.NamedParameters().ToDictionary(p => p.Name, p => SafeTensorsTestFiles.Bits(p.Value.Data));

    [Fact]
    public void SaveThenLoadReproducesParametersAndOutputs()
    {
        using var dir = new TempDir();
        var path = dir.File("tiny.safetensors");
        var a = new TinyNet(1);
        var b = new TinyNet(2);
        Assert.NotEqual(Bits(a)["proj.weight"], Bits(b)["proj.weight"]);

        a.SaveSafeTensors(path, new Dictionary<string, string> { ["step"] = "100" });
        b.LoadSafeTensors(path);

        Assert.Equal(Bits(a), Bits(b));
        var x = Tensor.Randn(new Generator(3), [4, 3]);
        Assert.Equal(SafeTensorsTestFiles.Bits(a.Forward(x).Data), SafeTensorsTestFiles.Bits(b.Forward(x).Data));
        Assert.Equal("100", SafeTensors.ReadMetadata(path)["step"]);
        Assert.Equal(["norm.bias", "norm.weight", "proj.bias", "proj.weight", "scale"], SafeTensors.Load(path).Keys);
        Assert.All(b.Parameters(), p => Assert.True(p.RequiresGrad)); // loading changes values, not flags
    }

    [Fact]
    public void HalfPrecisionCheckpointLoadsConverted()
    {
        using var dir = new TempDir();
        var path = dir.File("tiny-f16.safetensors");
        var source = new TinyNet(5);
        SafeTensorsTestFiles.WriteHalf(path, source.NamedParameters().Select(p => (p.Name, p.Value.Shape, p.Value.ToArray())));
        var target = new TinyNet(6);

        target.LoadSafeTensors(path);

        foreach (var (name, p) in source.NamedParameters())
        {
            var expected = p.ToArray().Select(v => (float)(Half)v).ToArray();
            Assert.Equal(SafeTensorsTestFiles.Bits(expected), SafeTensorsTestFiles.Bits(target.StateDict()[name].Data));
        }
    }

    static void AssertLoadFails(TinyNet net, string path, bool strict, params string[] mustContain)
    {
        var before = Bits(net);
        var e = Assert.Throws<InvalidDataException>(() => net.LoadSafeTensors(path, strict));
        Assert.Contains(Path.GetFileName(path), e.Message);
        Assert.Contains("TinyNet", e.Message);
        foreach (var s in mustContain) Assert.Contains(s, e.Message);
        Assert.Equal(before, Bits(net)); // nothing was copied
    }

    [Fact]
    public void MissingTensorIsNamed()
    {
        using var dir = new TempDir();
        var path = dir.File("missing.safetensors");
        var state = new TinyNet(1).StateDict();
        state.Remove("proj.bias");
        SafeTensors.Save(path, state);

        AssertLoadFails(new TinyNet(2), path, strict: true, "missing tensor 'proj.bias' [2]");
        AssertLoadFails(new TinyNet(2), path, strict: false, "missing tensor 'proj.bias' [2]");
    }

    [Fact]
    public void ExtraTensorIsAnErrorOnlyWhenStrict()
    {
        using var dir = new TempDir();
        var path = dir.File("extra.safetensors");
        var a = new TinyNet(1);
        var state = a.StateDict();
        state["head.weight"] = Tensor.Ones(4, 2);
        SafeTensors.Save(path, state);

        AssertLoadFails(new TinyNet(2), path, strict: true, "unexpected tensor 'head.weight'");

        var b = new TinyNet(2);
        b.LoadSafeTensors(path, strict: false);
        Assert.Equal(Bits(a), Bits(b));
    }

    [Fact]
    public void MisShapedTensorIsNamedWithBothShapes()
    {
        using var dir = new TempDir();
        var path = dir.File("shape.safetensors");
        var state = new TinyNet(1).StateDict();
        state["proj.weight"] = Tensor.Ones(3, 2);
        SafeTensors.Save(path, state);

        AssertLoadFails(new TinyNet(2), path, strict: true, "tensor 'proj.weight' has shape [3, 2], expected [2, 3]");
    }

    [Fact]
    public void UnreadableDTypeIsNamed()
    {
        using var dir = new TempDir();
        var path = dir.File("int.safetensors");
        SafeTensorsTestFiles.WriteRaw(path, "{\"scale\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[0,4]}}", new byte[4]);
        AssertLoadFails(new TinyNet(2), path, strict: false, "tensor 'scale' has dtype I32", "missing tensor 'proj.weight'");
    }
}
