using Xunit.Abstractions;

namespace DiffPrune.Tensors.Tests.Golden;

/// <summary>
/// <see cref="LlamaBlockReference"/> (engine ops: RmsNorm, Linear, Rope Half, GQA attention with a causal
/// mask, SiLU) against HF's LlamaDecoderLayer in plain torch (llama_block.bin): output and the gradients of
/// L = Σ y⊙gy for x and all 9 parameters. B = 2, T = 6, C = 32, H = 4, Hkv = 2, D = 8, I = 48, position ids
/// non-contiguous and different per sample.
/// </summary>
public sealed class LlamaBlockGoldenTests(ITestOutputHelper log)
{
    /// <summary>max |diff| ≤ 1e-5 · max(1, max |expected|) per tensor (float64 reference; torch float32 is within 3.9e-6).</summary>
    const double Tolerance = 1e-5;

    static readonly Lazy<GoldenFile> Fixture = new(() => GoldenFile.LoadFixture("llama_block.bin"));

    static bool IsParameter(string name) =>
        name is not ("x" or "gy" or "y" or "position_ids") && !name.StartsWith("grad.", StringComparison.Ordinal);

    /// <summary>position_ids (B, T), stored as floats, flattened per sample then token (what F.Rope takes for per-sample ids).</summary>
    static int[] PositionIds(GoldenFile f) => f["position_ids"].Data.Select(v => checked((int)v)).ToArray();

    static List<Comparison> Run(Action<LlamaBlockReference>? tamper = null, int[]? positionIds = null)
    {
        var f = Fixture.Value;
        var layer = new LlamaBlockReference(new LlamaBlockConfig(), new Generator(0));
        layer.LoadStateDict(f.Tensors.Where(t => IsParameter(t.Name)).ToDictionary(t => t.Name, t => t.ToTensor()), strict: true, source: f.Source);
        tamper?.Invoke(layer);
        var x = f.Tensor("x").RequireGrad();                        // (B, T, C)
        var y = layer.Forward(x, positionIds ?? PositionIds(f));     // (B, T, C)
        y.Backward(f.Tensor("gy"));

        var results = new List<Comparison>
        {
            GoldenCompare.Compare("y", y, f["y"], Tolerance),
            GoldenCompare.Compare("grad.x", x.Grad, f["grad.x"], Tolerance),
        };
        foreach (var (name, p) in layer.NamedParameters())
            results.Add(GoldenCompare.Compare("grad." + name, p.Grad, f["grad." + name], Tolerance));
        int inFile = f.Names.Count(n => n.StartsWith("grad.", StringComparison.Ordinal));
        Assert.True(inFile == results.Count - 1, $"{f.Source}: {inFile} 'grad.*' tensors but {results.Count - 1} were compared");
        return results;
    }

    [Fact]
    public void HasHuggingFaceParameterNames()
    {
        var names = new LlamaBlockReference(new LlamaBlockConfig(), new Generator(0)).NamedParameters().Select(p => p.Name).Order(StringComparer.Ordinal);
        string[] hf =
        [
            "input_layernorm.weight", "mlp.down_proj.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight",
            "post_attention_layernorm.weight", "self_attn.k_proj.weight", "self_attn.o_proj.weight",
            "self_attn.q_proj.weight", "self_attn.v_proj.weight",
        ];
        Assert.Equal(hf, names);
    }

    [Fact]
    public void MatchesPyTorch()
    {
        var results = Run();
        log.WriteLine($"llama_block: {GoldenCompare.Summary(results)}");
        GoldenCompare.AssertAll(results, log);
    }

    [Fact]
    public void PerturbedParameterIsDetected()
    {
        // a key weight reaches y only through RoPE and the grouped attention
        var results = Run(layer => layer.SelfAttn.KProj.Weight.Data[0] += 1e-2f);
        foreach (var c in results) log.WriteLine(c.ToString());
        Assert.False(results.Single(c => c.What == "y").Passed, "a 1e-2 change of self_attn.k_proj.weight[0, 0] went unnoticed in y");
    }

    [Fact]
    public void PositionIdsAndRopeStyleAreDetected()
    {
        // contiguous ids 0..5 instead of the fixture's, and interleaved pairs instead of rotate_half, must both fail
        var contiguous = Run(positionIds: Enumerable.Range(0, 6).ToArray()).Single(c => c.What == "y");
        var interleaved = Run(layer => layer.RopeStyle = RopeStyle.Interleaved).Single(c => c.What == "y");
        var shared = Run(positionIds: PositionIds(Fixture.Value)[..6]).Single(c => c.What == "y");
        log.WriteLine($"contiguous ids: {contiguous}\ninterleaved RoPE: {interleaved}\nsample 0's ids for both samples: {shared}");
        Assert.False(contiguous.Passed, "contiguous position ids reproduce the reference: the ids are not exercised");
        Assert.False(interleaved.Passed, "interleaved RoPE reproduces the reference: the style is not exercised");
        Assert.False(shared.Passed, "sharing sample 0's ids reproduces the reference: per-sample ids are not exercised");
    }
}
