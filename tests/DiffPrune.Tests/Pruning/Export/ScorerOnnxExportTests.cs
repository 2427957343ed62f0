using DiffPrune.Pruning;
using DiffPrune.Pruning.Export;
using DiffPrune.Pruning.Export.Onnx;
using DiffPrune.Tensors;
using Xunit.Abstractions;

namespace DiffPrune.Tests.Pruning.Export;

/// <summary>The exported scorer, run in ONNX Runtime, gives the engine's logits and hard top-K indices.</summary>
public class ScorerOnnxExportTests(ITestOutputHelper output)
{
    const int Width = 128;  // the shipped VLM's d_v: two heads of 64

    /// <summary>A scorer with every parameter perturbed, so that a swapped or ignored norm weight or bias shows.</summary>
    static TokenScorer RandomScorer(ulong seed)
    {
        var gen = new Generator(seed);
        var scorer = new TokenScorer(Width, gen);
        foreach (var (name, p) in scorer.StateDict())
        {
            var noise = Tensor.Randn(gen, p.Shape, 0f, name.EndsWith(".weight") && p.Rank == 1 ? 0.3f : 0.1f);
            for (int i = 0; i < p.Numel; i++) p.Data[i] += noise.Data[i];
        }
        return scorer;
    }

    /// <summary>Features off-centre and of uneven scale per channel, as raw ViT features are.</summary>
    static Tensor RandomFeatures(Generator gen, int batch, int tokens)
    {
        var x = Tensor.Randn(gen, [batch, tokens, Width]);
        for (int i = 0; i < x.Numel; i++) x.Data[i] = x.Data[i] * (0.2f + i % Width / (float)Width) + 0.8f;
        return x;
    }

    [OnnxRuntimeTheory]
    [InlineData(144)]
    [InlineData(576)]
    public void OnnxRuntimeMatchesTheEngineLogitsAndKeptIndices(int tokens)
    {
        int keep = tokens / 9;
        var scorer = RandomScorer(7);
        var dir = Directory.CreateTempSubdirectory("diffprune-onnx-").FullName;
        try
        {
            var model = Path.Combine(dir, "scorer.onnx");
            ScorerOnnxExport.Save(model, scorer, keep);
            var gen = new Generator(11);
            var inputs = Enumerable.Range(0, 20).Select(i => RandomFeatures(gen, 1 + i % 3, tokens)).ToList();  // batch 1..3
            var results = OnnxRuntimeNode.Run(model, inputs, dir);

            double maxDiff = 0;
            for (int c = 0; c < inputs.Count; c++)
            {
                Tensor expected;
                using (Autograd.NoGrad()) expected = scorer.Forward(inputs[c]);
                var (logits, kept) = (results[c][0], results[c][1]);
                Assert.Equal(expected.Shape, logits.Dims);
                Assert.True(expected.ToArray().Max() - expected.ToArray().Min() > 1f, "logits spread too little to tell a wrong graph from a right one");
                for (int i = 0; i < expected.Numel; i++) maxDiff = Math.Max(maxDiff, Math.Abs(expected.Data[i] - logits.Floats![i]));
                var keptExpected = HardTopK.Indices(expected, keep);
                Assert.Equal([keptExpected.Length, keep], kept.Dims);
                for (int b = 0; b < keptExpected.Length; b++)
                    Assert.Equal(keptExpected[b].Select(i => (long)i), kept.Int64s!.Skip(b * keep).Take(keep));
            }
            output.WriteLine($"N = {tokens}: max |logit(engine) - logit(ONNX Runtime)| = {maxDiff:E2} over {inputs.Count} inputs");
            Assert.True(maxDiff < 1e-4, $"max logit difference {maxDiff:E2} ≥ 1e-4");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [OnnxRuntimeFact]
    public void WithoutABudgetTheGraphReturnsLogitsOnly()
    {
        var scorer = RandomScorer(3);
        var dir = Directory.CreateTempSubdirectory("diffprune-onnx-").FullName;
        try
        {
            var model = Path.Combine(dir, "scorer.onnx");
            ScorerOnnxExport.Save(model, scorer);
            var x = RandomFeatures(new Generator(5), 2, 36);
            var result = Assert.Single(OnnxRuntimeNode.Run(model, [x], dir));
            var logits = Assert.Single(result);
            Tensor expected;
            using (Autograd.NoGrad()) expected = scorer.Forward(x);
            Assert.Equal(expected.Shape, logits.Dims);
            Assert.All(expected.ToArray().Zip(logits.Floats!), p => Assert.Equal(p.First, p.Second, 1e-4f));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void TheModelIsOpset17WithSymbolicBatchAndTokensAndTheStateDictAsInitializers()
    {
        var scorer = RandomScorer(1);
        var model = ModelProto.Parser.ParseFrom(ScorerOnnxExport.ToBytes(scorer, 16));
        Assert.Equal(8, model.IrVersion);
        var opset = Assert.Single(model.OpsetImport);
        Assert.Equal(("", 17L), (opset.Domain, opset.Version));
        var input = Assert.Single(model.Graph.Input);
        Assert.Equal("features", input.Name);
        Assert.Equal(["batch", "tokens", ""], input.Type.TensorType.Shape.Dim.Select(d => d.DimParam));
        Assert.Equal(Width, input.Type.TensorType.Shape.Dim[2].DimValue);
        Assert.Equal(["logits", "kept"], model.Graph.Output.Select(o => o.Name));
        var weights = scorer.StateDict();
        var initializers = model.Graph.Initializer.Where(t => weights.ContainsKey(t.Name)).ToDictionary(t => t.Name);
        Assert.Equal(weights.Keys.Order(), initializers.Keys.Order());
        foreach (var (name, w) in weights)
        {
            Assert.Equal(w.Shape.Select(d => (long)d), initializers[name].Dims);
            Assert.Equal(w.ToArray(), System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(initializers[name].RawData.Span).ToArray());
        }
        Assert.Contains(model.Graph.Node, n => n.OpType == "LayerNormalization");
        Assert.Contains(model.Graph.Node, n => n.OpType == "Erf");
    }

    [Fact]
    public void ABudgetBelowOneIsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ScorerOnnxExport.ToBytes(RandomScorer(1), 0));
}
