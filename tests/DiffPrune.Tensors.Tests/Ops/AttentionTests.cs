using static DiffPrune.Tensors.Tests.Ops.TestTensors;

namespace DiffPrune.Tensors.Tests.Ops;

/// <summary>
/// F.ScaledDotProductAttention with the mask kinds, GQA and returned probabilities, checked against a plain
/// double-precision loop and by finite differences.
/// B = batch, H = query heads, Hkv = key/value heads, T = queries, S = keys, D = head size.
/// </summary>
public class AttentionTests
{
    /// <summary>
    /// softmax(q·kᵀ·scale over allowed keys)·v by loops in double; query head h reads key/value head h / (H/Hkv);
    /// a query with no allowed key gets zeros. Returns (output (B,H,T,Dv), probs (B,H,T,S)).
    /// </summary>
    static (float[] Output, float[] Probs) Reference(Tensor q, Tensor k, Tensor v, Func<int, int, int, bool> allowed, float scale)
    {
        int b = q.Shape[0], h = q.Shape[1], t = q.Shape[2], d = q.Shape[3];
        int hkv = k.Shape[1], s = k.Shape[2], dv = v.Shape[3], rep = h / hkv;
        var output = new float[b * h * t * dv];
        var probs = new float[b * h * t * s];
        var p = new double[s];
        for (int bi = 0; bi < b; bi++)
            for (int hi = 0; hi < h; hi++)
                for (int i = 0; i < t; i++)
                {
                    int kh = hi / rep;
                    double max = double.NegativeInfinity;
                    for (int j = 0; j < s; j++)
                    {
                        if (!allowed(bi, i, j)) { p[j] = double.NegativeInfinity; continue; }
                        double dot = 0;
                        for (int c = 0; c < d; c++) dot += (double)q[bi, hi, i, c] * k[bi, kh, j, c];
                        p[j] = dot * scale;
                        max = Math.Max(max, p[j]);
                    }
                    if (double.IsNegativeInfinity(max)) continue;
                    double sum = 0;
                    for (int j = 0; j < s; j++) { p[j] = Math.Exp(p[j] - max); sum += p[j]; }
                    for (int j = 0; j < s; j++)
                    {
                        p[j] /= sum;
                        probs[((bi * h + hi) * t + i) * s + j] = (float)p[j];
                        for (int c = 0; c < dv; c++) output[((bi * h + hi) * t + i) * dv + c] += (float)(p[j] * v[bi, kh, j, c]);
                    }
                }
        return (output, probs);
    }

    static (Tensor Q, Tensor K, Tensor V) Qkv(Generator gen, int b, int h, int hkv, int t, int s, int d, int dv)
        => (Leaf(gen, b, h, t, d), Leaf(gen, b, hkv, s, d), Leaf(gen, b, hkv, s, dv));

    /// <summary>Output and probabilities in one tensor, so a gradient check weighs both.</summary>
    static Tensor OutputAndProbs((Tensor Output, Tensor? Probs) r) => Tensor.Cat([r.Output.Flatten(), r.Probs!.Flatten()], 0);

    [Theory]
    [InlineData(5, 5)]
    [InlineData(3, 5)] // queries are the last 3 of 5 positions (KV cache): bottom-right aligned
    public void CausalMatchesManualComputation(int t, int s)
    {
        var (q, k, v) = Qkv(new Generator(101), 2, 2, 2, t, s, 4, 3);
        var (o, p) = F.ScaledDotProductAttention(q, k, v, AttentionMask.Causal, returnProbs: true);
        var (eo, ep) = Reference(q, k, v, (_, i, j) => j <= i + (s - t), 1f / MathF.Sqrt(4));
        Assert.Equal([2, 2, t, 3], o.Shape);
        Assert.Equal([2, 2, t, s], p!.Shape);
        AssertClose(eo, o, atol: 1e-6, rtol: 1e-5);
        AssertClose(ep, p, atol: 1e-7, rtol: 1e-5);
    }

    [Fact]
    public void GroupedQueryHeadsShareKeyValueHeads()
    {
        var (q, k, v) = Qkv(new Generator(102), 2, 4, 2, 4, 4, 3, 2);
        var (o, _) = F.ScaledDotProductAttention(q, k, v, AttentionMask.Causal, scale: 0.7f);
        var (eo, _) = Reference(q, k, v, (_, i, j) => j <= i, 0.7f);
        AssertClose(eo, o, atol: 1e-6, rtol: 1e-5);
    }

    [Fact]
    public void MaskKindsMatchManualComputation()
    {
        var gen = new Generator(103);
        var (q, k, v) = Qkv(gen, 2, 2, 1, 4, 4, 3, 3);
        bool[] valid = [true, true, false, true, false, true, true, true];
        float scale = 1f / MathF.Sqrt(3);
        void Check(AttentionMask mask, Func<int, int, int, bool> allowed)
        {
            var (o, p) = F.ScaledDotProductAttention(q, k, v, mask, returnProbs: true);
            var (eo, ep) = Reference(q, k, v, allowed, scale);
            AssertClose(eo, o, atol: 1e-6, rtol: 1e-5);
            AssertClose(ep, p!, atol: 1e-7, rtol: 1e-5);
        }
        Check(AttentionMask.Identity, (_, i, j) => i == j);
        Check(AttentionMask.KeyPadding(valid, 2), (b, _, j) => valid[b * 4 + j]);
        Check(AttentionMask.Causal.And(AttentionMask.KeyPadding(valid, 2)), (b, i, j) => j <= i && valid[b * 4 + j]);
        bool[] allowed = [true, false, true, true, false, true, false, true, true, true, true, false, false, false, true, true];
        Check(AttentionMask.FromBool(allowed, 4, 4), (_, i, j) => allowed[i * 4 + j]);
        var additive = Tensor.Zeros(2, 1, 1, 4);
        additive[1, 0, 0, 2] = float.NegativeInfinity;
        Check(AttentionMask.Additive(additive), (b, _, j) => !(b == 1 && j == 2));
    }

    [Fact]
    public void CausalGradient()
    {
        var (q, k, v) = Qkv(new Generator(104), 2, 2, 2, 4, 4, 3, 3);
        GradCheck.Check(x => F.ScaledDotProductAttention(x[0], x[1], x[2], AttentionMask.Causal).Output, [q, k, v]);
    }

    [Fact]
    public void IdentityMaskGradient()
    {
        // each query sees only its own key: output = v, so q and k receive zero gradient
        var (q, k, v) = Qkv(new Generator(105), 1, 2, 2, 3, 3, 2, 2);
        GradCheck.Check(x => F.ScaledDotProductAttention(x[0], x[1], x[2], AttentionMask.Identity).Output, [q, k, v]);
        Assert.All(q.Grad!.ToArray(), g => Assert.Equal(0f, g));
        AssertClose(v.ToArray(), F.ScaledDotProductAttention(q, k, v, AttentionMask.Identity).Output);
    }

    [Fact]
    public void KeyPaddingGradient()
    {
        var (q, k, v) = Qkv(new Generator(106), 2, 2, 2, 3, 4, 3, 2);
        var mask = AttentionMask.KeyPadding([true, true, true, false, false, true, true, true], 2);
        GradCheck.Check(x => F.ScaledDotProductAttention(x[0], x[1], x[2], mask).Output, [q, k, v]);
        // padded keys (sample 0 key 3, sample 1 key 0) get no gradient
        for (int h = 0; h < 2; h++)
        {
            for (int c = 0; c < 3; c++) Assert.Equal(0f, k.Grad![0, h, 3, c]);
            for (int c = 0; c < 2; c++) Assert.Equal(0f, v.Grad![1, h, 0, c]);
        }
    }

    [Fact]
    public void FullyPaddedQueryRowIsZeroWithFiniteGradients()
    {
        // left padding + causal: query 0 of sample 0 may only see key 0, which is padding → no visible key at all
        var (q, k, v) = Qkv(new Generator(107), 2, 2, 2, 4, 4, 3, 3);
        var mask = AttentionMask.Causal.And(AttentionMask.KeyPadding([false, true, true, true, true, true, true, true], 2));
        var (o, p) = F.ScaledDotProductAttention(q, k, v, mask, returnProbs: true);
        Finite(o);
        Finite(p!);
        for (int h = 0; h < 2; h++)
            for (int c = 0; c < 3; c++) Assert.Equal(0f, o[0, h, 0, c]);
        o.Sum().Add(p!.Sum()).Backward();
        Finite(q.Grad!);
        Finite(k.Grad!);
        Finite(v.Grad!);
        GradCheck.Check(x => OutputAndProbs(F.ScaledDotProductAttention(x[0], x[1], x[2], mask, returnProbs: true)), [q, k, v]);
    }

    [Fact]
    public void EntireSamplePaddedStaysFinite()
    {
        var (q, k, v) = Qkv(new Generator(108), 2, 1, 1, 2, 3, 2, 2);
        var mask = AttentionMask.KeyPadding([true, true, false, false, false, false], 2);
        var (o, _) = F.ScaledDotProductAttention(q, k, v, mask);
        Assert.All(o.Slice(0, 1, 2).ToArray(), x => Assert.Equal(0f, x));
        GradCheck.Check(x => F.ScaledDotProductAttention(x[0], x[1], x[2], mask).Output, [q, k, v]);
    }

    [Fact]
    public void GroupedQueryAttentionGradient()
    {
        // H = 4 query heads share Hkv = 2 key/value heads: k and v gradients sum over the two sharing heads
        var (q, k, v) = Qkv(new Generator(109), 2, 4, 2, 3, 3, 2, 2);
        GradCheck.Check(x => F.ScaledDotProductAttention(x[0], x[1], x[2], AttentionMask.Causal).Output, [q, k, v]);
    }

    [Fact]
    public void GradientFlowsThroughReturnedProbabilities()
    {
        var (q, k, v) = Qkv(new Generator(110), 1, 4, 2, 3, 4, 2, 2);
        GradCheck.Check(x => OutputAndProbs(F.ScaledDotProductAttention(x[0], x[1], x[2], null, scale: 0.8f, returnProbs: true)), [q, k, v]);
        // probabilities alone: v gets nothing, q and k do
        foreach (var x in new[] { q, k, v }) x.Grad = null;
        F.ScaledDotProductAttention(q, k, v, returnProbs: true).Probs!.Mul(Tensor.Randn(new Generator(1), [1, 4, 3, 4])).Sum().Backward();
        Assert.NotNull(q.Grad);
        Assert.NotNull(k.Grad);
        Assert.Null(v.Grad);
    }

    [Fact]
    public void NoMaskRowsOfProbabilitiesSumToOne()
    {
        var (q, k, v) = Qkv(new Generator(111), 1, 2, 2, 3, 5, 4, 4);
        var p = F.ScaledDotProductAttention(q, k, v, returnProbs: true).Probs!;
        AssertClose(Tensor.Ones(1, 2, 3).ToArray(), p.Sum(-1), atol: 1e-6, rtol: 0);
    }

    [Fact]
    public void BinaryKeyWeightsEqualAttentionOverTheKeptKeysAlone()
    {
        // weights 1/0 (DynamicViT's hard policy): the output is attention over the weight-1 keys only
        var (q, k, v) = Qkv(new Generator(112), 2, 2, 2, 4, 5, 3, 2);
        bool[] kept = [true, false, true, true, false, true, true, false, false, true];
        var w = Tensor.FromArray(kept.Select(x => x ? 1f : 0f).ToArray(), 2, 5);
        var (o, p) = F.ScaledDotProductAttention(q, k, v, returnProbs: true, keyWeights: w);
        var (eo, ep) = Reference(q, k, v, (b, _, j) => kept[b * 5 + j], 1f / MathF.Sqrt(3));
        AssertClose(eo, o, atol: 1e-6, rtol: 1e-5);
        AssertClose(ep, p!, atol: 1e-7, rtol: 1e-5);
    }

    [Fact]
    public void KeyWeightGradientMatchesFiniteDifferencesAndReachesZeroWeights()
    {
        var (q, k, v) = Qkv(new Generator(113), 2, 2, 2, 3, 4, 2, 2);
        var w = Tensor.FromArray([1f, 0.7f, 0.2f, 1.3f, 0.5f, 1f, 0.9f, 0.4f], 2, 4).RequireGrad();
        GradCheck.Check(x => F.ScaledDotProductAttention(x[0], x[1], x[2], keyWeights: x[3]).Output, [q, k, v, w], h: 1e-2, atol: 3e-3, rtol: 3e-2);
        var hard = Tensor.FromArray([1f, 0f, 1f, 0f, 0f, 1f, 1f, 1f], 2, 4).RequireGrad();
        F.ScaledDotProductAttention(q, k, v, keyWeights: hard).Output.Mul(Tensor.Randn(new Generator(2), [2, 2, 3, 2])).Sum().Backward();
        Assert.True(Math.Abs(hard.Grad![0, 1]) > 1e-4f && Math.Abs(hard.Grad![1, 0]) > 1e-4f, "a zero weight still gets a gradient");
        Assert.Contains("key weights", Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, k, v, keyWeights: Tensor.Ones(2, 3))).Message);
    }
}
