using DiffPrune.Tensors.Nn;
using Xunit.Abstractions;

namespace DiffPrune.Tensors.Tests.Golden;

/// <summary>
/// Nn.TransformerBlock (CLIP pre-norm layer) against the plain-torch reference in prenorm_block.bin:
/// output and the gradients of L = Σ y⊙gy for x and all 16 parameters, without and with a key-padding mask.
/// B = 2 samples, T = 5 tokens, C = 32 channels, 4 heads, MLP hidden 64, exact GELU.
/// </summary>
public sealed class PreNormBlockGoldenTests(ITestOutputHelper log)
{
    /// <summary>
    /// max |diff| ≤ 1e-5 · max(1, max |expected|) per tensor. The reference is float64 rounded to float32;
    /// torch's own float32 evaluation lands within 4.2e-6 of it (printed by make_golden.py).
    /// </summary>
    const double Tolerance = 1e-5;

    static readonly Lazy<GoldenFile> Fixture = new(() => GoldenFile.LoadFixture("prenorm_block.bin"));

    /// <summary>Fixture entries that are not parameters of the block.</summary>
    static bool IsParameter(string name) =>
        name is not ("x" or "gy" or "y" or "mask.valid") && !name.StartsWith("grad.", StringComparison.Ordinal) && !name.StartsWith("masked.", StringComparison.Ordinal);

    /// <summary>
    /// Builds the block from the fixture's parameters, runs forward and backward with the fixture's x and gy,
    /// and compares with the reference named by <paramref name="reference"/> ("" = unmasked, "masked." = masked).
    /// <paramref name="tamper"/> may change the block before the forward pass (the sensitivity checks use it).
    /// </summary>
    static List<Comparison> Run(string reference, bool useMask, Action<TransformerBlock>? tamper = null)
    {
        var f = Fixture.Value;
        var block = new TransformerBlock(32, 4, 64, Activation.Gelu, new Generator(0));
        block.LoadStateDict(f.Tensors.Where(t => IsParameter(t.Name)).ToDictionary(t => t.Name, t => t.ToTensor()), strict: true, source: f.Source);
        tamper?.Invoke(block);
        var x = f.Tensor("x").RequireGrad();                                   // (B, T, C)
        var (y, _) = block.Forward(x, useMask ? KeyPaddingMask(f) : null);      // (B, T, C)
        y.Backward(f.Tensor("gy"));

        var results = new List<Comparison>
        {
            GoldenCompare.Compare("y", y, f[reference + "y"], Tolerance),
            GoldenCompare.Compare("grad.x", x.Grad, f[reference + "grad.x"], Tolerance),
        };
        foreach (var (name, p) in block.NamedParameters())
            results.Add(GoldenCompare.Compare("grad." + name, p.Grad, f[reference + "grad." + name], Tolerance));
        // every reference gradient in the file must have been compared
        int inFile = f.Names.Count(n => n.StartsWith(reference + "grad.", StringComparison.Ordinal));
        Assert.True(inFile == results.Count - 1, $"{f.Source}: {inFile} '{reference}grad.*' tensors but {results.Count - 1} were compared");
        return results;
    }

    /// <summary>mask.valid (B, T) as floats, 1 = real key, 0 = padding.</summary>
    static AttentionMask KeyPaddingMask(GoldenFile f)
    {
        var valid = f["mask.valid"];
        return AttentionMask.KeyPadding(valid.Data.Select(v => v != 0f).ToArray(), valid.Shape[0]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MatchesPyTorch(bool masked)
    {
        var results = Run(masked ? "masked." : "", useMask: masked);
        log.WriteLine($"prenorm_block {(masked ? "key-padding mask" : "no mask")}: {GoldenCompare.Summary(results)}");
        GoldenCompare.AssertAll(results, log);
    }

    [Fact]
    public void PerturbedParameterIsDetected()
    {
        // one weight off by 1e-2 must push the output and the gradients out of tolerance
        var results = Run("", useMask: false, block => block.SelfAttn.QProj.Weight.Data[0] += 1e-2f);
        foreach (var c in results) log.WriteLine(c.ToString());
        Assert.False(results.Single(c => c.What == "y").Passed, "a 1e-2 change of self_attn.q_proj.weight[0, 0] went unnoticed in y");
        Assert.True(results.Count(c => !c.Passed) >= 10, $"only {results.Count(c => !c.Passed)} tensors noticed the perturbed weight");
    }

    [Fact]
    public void MaskIsDetected()
    {
        // the engine without the mask must not match the masked reference (the padded keys carry weight)
        var results = Run("masked.", useMask: false);
        var y = results.Single(c => c.What == "y");
        log.WriteLine(y.ToString());
        Assert.False(y.Passed, "the masked reference is reproduced without a mask: the fixture does not exercise the mask");

        // and with the mask, the padded keys of sample 1 get exactly zero attention
        var f = Fixture.Value;
        var block = new TransformerBlock(32, 4, 64, Activation.Gelu, new Generator(0));
        block.LoadStateDict(f.Tensors.Where(t => IsParameter(t.Name)).ToDictionary(t => t.Name, t => t.ToTensor()));
        var (_, probs) = block.Forward(f.Tensor("x"), KeyPaddingMask(f), returnProbs: true); // (B, H, T, T)
        var valid = f["mask.valid"];
        for (int h = 0; h < 4; h++)
            for (int i = 0; i < 5; i++)
                for (int j = 0; j < 5; j++)
                    if (valid.Data[5 + j] == 0f) Assert.Equal(0f, probs![1, h, i, j]);
    }
}
