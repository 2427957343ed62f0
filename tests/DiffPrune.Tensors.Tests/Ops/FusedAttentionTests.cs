using static DiffPrune.Testing.Tolerance;

namespace DiffPrune.Tensors.Tests.Ops;

/// <summary>
/// The fused token-major attention (F.Attention) against its reference composition: heads split out and transposed,
/// F.ScaledDotProductAttention, transposed back. Output, probabilities and the gradients of q, k and v agree to 1e-5
/// for every mask kind, grouped-query heads, a fully masked query row, and shapes large enough to run in parallel.
/// B = batch, T = queries, S = keys, H = query heads, G = key/value heads, D = head size.
/// </summary>
public class FusedAttentionTests
{
    public static TheoryData<string, int, int, int, int, int, int> Cases => new()
    {
        { "none", 2, 5, 5, 2, 2, 4 },
        { "causal", 2, 7, 7, 4, 2, 3 },
        { "causal+padding", 3, 6, 6, 2, 1, 8 },
        { "identity", 2, 9, 9, 2, 2, 5 },
        { "padding-all", 2, 4, 6, 2, 2, 4 },
        { "causal", 8, 40, 40, 4, 4, 16 },   // large enough to split over threads
        { "none", 1, 3, 11, 3, 1, 2 },       // queries and keys of different lengths
    };

    static AttentionMask? Mask(string kind, int b, int s) => kind switch
    {
        "none" => null,
        "causal" => AttentionMask.Causal,
        "identity" => AttentionMask.Identity,
        "causal+padding" => AttentionMask.Causal.And(AttentionMask.KeyPadding(Enumerable.Range(0, b * s).Select(i => i % s != 1).ToArray(), b)),
        // sample 1 has no valid key at all: its rows must come out zero, with zero gradient
        "padding-all" => AttentionMask.KeyPadding(Enumerable.Range(0, b * s).Select(i => i / s == 0 && i % s < 4).ToArray(), b),
        _ => throw new ArgumentException(kind),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedAttentionMatchesTheComposition(string mask, int b, int t, int s, int h, int g, int d)
    {
        var gen = new Generator(91);
        var q = Tensor.Randn(gen, [b, t, h * d]).RequireGrad();
        var k = Tensor.Randn(gen, [b, s, g * d]).RequireGrad();
        var v = Tensor.Randn(gen, [b, s, g * d]).RequireGrad();
        var upstream = Tensor.Randn(gen, [b, t, h * d]);

        var (fused, fusedProbs) = F.Attention(q, k, v, h, g, Mask(mask, b, s), returnProbs: true);
        fused.Mul(upstream).Sum().Backward();
        var grads = new[] { q.Grad!.ToArray(), k.Grad!.ToArray(), v.Grad!.ToArray() };
        foreach (var x in new[] { q, k, v }) x.ZeroGrad();

        Tensor Heads(Tensor x, int n, int len) => x.Reshape(b, len, n, d).Transpose(1, 2);
        var (o, probs) = F.ScaledDotProductAttention(Heads(q, h, t), Heads(k, g, s), Heads(v, g, s), Mask(mask, b, s), returnProbs: true);
        var reference = o.Transpose(1, 2).Reshape(b, t, h * d);
        reference.Mul(upstream).Sum().Backward();

        AssertClose(reference.ToArray(), fused.ToArray(), atol: 1e-5, rtol: 1e-5, what: "output");
        AssertClose(probs!.ToArray(), fusedProbs!.ToArray(), atol: 1e-5, rtol: 1e-5, what: "probabilities");
        AssertClose(q.Grad!.ToArray(), grads[0], atol: 1e-5, rtol: 1e-5, what: "dq");
        AssertClose(k.Grad!.ToArray(), grads[1], atol: 1e-5, rtol: 1e-5, what: "dk");
        AssertClose(v.Grad!.ToArray(), grads[2], atol: 1e-5, rtol: 1e-5, what: "dv");
    }

    [Fact]
    public void FusedAttentionFailsOnHeadsThatDoNotSplitTheWidth()
    {
        var q = Tensor.Zeros(1, 2, 6);
        var kv = Tensor.Zeros(1, 2, 6);
        var e = Assert.Throws<ArgumentException>(() => F.Attention(q, kv, kv, 4, 4));
        Assert.Contains("4 query heads", e.Message);
    }
}
