using DiffPrune.Pruning.Throttlers;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Pruning;

/// <summary>The fused VP-Noise mix against the composition it replaces, values and gradients, from α ≈ 0 to α ≈ 1.</summary>
public class VpNoiseMixTests
{
    // margins from far below the threshold (α underflows) through 0 to far above it (α rounds to 1)
    static readonly float[] Margins = [-1e4f, -80f, -12f, -3f, -0.7f, -0.01f, 0f, 0.01f, 0.7f, 3f, 12f, 80f, 1e4f, 1.5f];

    static (Tensor Tokens, Tensor Noise, Tensor Margins) Inputs()
    {
        int b = 2, n = Margins.Length / 2, d = 37; // d not a multiple of the SIMD width
        return (Tensor.Randn(new Generator(1), [b, n, d]).RequireGrad(), Tensor.Randn(new Generator(2), [b, n, d]).RequireGrad(),
            Tensor.FromArray(Margins, b, n).RequireGrad());
    }

    [Fact]
    public void FusedMixEqualsTheReferenceCompositionInValuesAndGradients()
    {
        var fused = Inputs();
        var reference = Inputs();
        var weights = Tensor.Randn(new Generator(3), fused.Tokens.Shape);
        var y = VpNoiseMix.Forward(fused.Tokens, fused.Noise, fused.Margins);
        var yRef = VpNoiseMix.Reference(reference.Tokens, reference.Noise, reference.Margins);
        Tolerance.AssertClose(yRef.ToArray(), y.ToArray(), atol: 1e-5, rtol: 1e-5, what: "x̃");
        y.Mul(weights).Sum().Backward();
        yRef.Mul(weights).Sum().Backward();
        Tolerance.AssertClose(reference.Tokens.Grad!.ToArray(), fused.Tokens.Grad!.ToArray(), atol: 1e-5, rtol: 1e-5, what: "dL/dx");
        Tolerance.AssertClose(reference.Noise.Grad!.ToArray(), fused.Noise.Grad!.ToArray(), atol: 1e-5, rtol: 1e-5, what: "dL/dε");
        Tolerance.AssertClose(reference.Margins.Grad!.ToArray(), fused.Margins.Grad!.ToArray(), atol: 1e-5, rtol: 1e-5, what: "dL/dm");
        Assert.All(fused.Margins.Grad!.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var tokens = Tensor.Randn(new Generator(4), [1, 6, 5]).RequireGrad();
        var noise = Tensor.Randn(new Generator(5), [1, 6, 5]).RequireGrad();
        var margins = Tensor.FromArray([-2f, -0.5f, -0.05f, 0.05f, 0.5f, 2f], 1, 6).RequireGrad();
        GradCheck.Check(x => VpNoiseMix.Forward(x[0], x[1], x[2]), [tokens, noise, margins], h: 1e-3, atol: 1e-4, rtol: 1e-2);
    }

    [Fact]
    public void MismatchedShapesAreRefusedWithTheShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => VpNoiseMix.Forward(Tensor.Zeros(2, 3, 4), Tensor.Zeros(2, 3, 5), Tensor.Zeros(2, 3)));
        Assert.Contains("(B, N, d)", e.Message);
    }
}
