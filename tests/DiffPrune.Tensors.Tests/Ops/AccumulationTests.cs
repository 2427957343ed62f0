using static DiffPrune.Tensors.Tests.Ops.TestTensors;

namespace DiffPrune.Tensors.Tests.Ops;

/// <summary>
/// Every op's backward must add into an existing gradient, never overwrite it: a second backward on a fresh
/// graph doubles every gradient. (A single finite-difference check starts from zero gradients and cannot tell.)
/// </summary>
public class AccumulationTests
{
    public static TheoryData<string> Ops => new(Cases.Keys);

    static readonly Dictionary<string, (Func<Tensor[], Tensor> F, Func<Generator, Tensor[]> Inputs)> Cases = new()
    {
        ["add_broadcast"] = (t => t[0].Add(t[1]), g => [Leaf(g, 2, 3), Leaf(g, 3)]),
        ["sub_broadcast"] = (t => t[0].Sub(t[1]), g => [Leaf(g, 2, 3), Leaf(g, 2, 1)]),
        ["mul_broadcast"] = (t => t[0].Mul(t[1]), g => [Leaf(g, 2, 3), Leaf(g, 3)]),
        ["div_broadcast"] = (t => t[0].Div(t[1]), g => [Leaf(g, 2, 3), Uniform(g, 0.5f, 2f, 3)]),
        ["scalar_ops"] = (t => t[0].Mul(2f).Add(1f), g => [Leaf(g, 4)]),
        ["unary"] = (t => t[0].Exp().Add(t[0].Tanh()).Add(t[0].Sigmoid()).Add(t[0].Silu()).Add(t[0].Gelu()).Add(t[0].Gelu(true)).Add(t[0].QuickGelu()), g => [Leaf(g, 5)]),
        ["unary_positive"] = (t => t[0].Log().Add(t[0].Sqrt()).Add(t[0].Rsqrt()).Add(t[0].Pow(1.5f)).Add(t[0].Abs()).Add(t[0].Relu()), g => [Uniform(g, 0.5f, 2f, 5)]),
        ["sum_mean"] = (t => t[0].Sum(1).Add(t[0].Mean(1)).Sum().Add(t[0].Sum()).Add(t[0].Mean()), g => [Leaf(g, 2, 3)]),
        ["max"] = (t => t[0].Max(0), g => [Distinct(g, 0.1f, 3, 4)]),
        ["var"] = (t => t[0].Var(-1), g => [Leaf(g, 3, 4)]),
        ["softmax"] = (t => t[0].Softmax(0).Add(t[0].LogSoftmax(-1)), g => [Leaf(g, 3, 4)]),
        ["matmul_folded"] = (t => t[0].Matmul(t[1], transB: true), g => [Leaf(g, 2, 3, 4), Leaf(g, 5, 4)]),
        ["matmul_batched"] = (t => t[0].Matmul(t[1], transA: true), g => [Leaf(g, 2, 4, 3), Leaf(g, 2, 4, 5)]),
        ["linear"] = (t => F.Linear(t[0], t[1], t[2]), g => [Leaf(g, 2, 3, 4), Leaf(g, 5, 4), Leaf(g, 5)]),
        ["layer_norm"] = (t => F.LayerNorm(t[0], t[1], t[2]), g => [Leaf(g, 3, 4), Leaf(g, 4), Leaf(g, 4)]),
        ["rms_norm"] = (t => F.RmsNorm(t[0], t[1]), g => [Leaf(g, 3, 4), Leaf(g, 4)]),
        ["cross_entropy"] = (t => F.CrossEntropy(t[0], [1, -100, 0]), g => [Leaf(g, 3, 4)]),
        ["embedding"] = (t => F.Embedding(new IntTensor([1, 1, 0]), t[0]), g => [Leaf(g, 3, 2)]),
        ["index_select"] = (t => t[0].IndexSelect(1, [2, 2, 0]), g => [Leaf(g, 2, 3)]),
        ["gather"] = (t => t[0].Gather(1, new IntTensor([2, 2, 0, 1], 2, 2)), g => [Leaf(g, 2, 3)]),
        ["scatter_add"] = (t => t[0].ScatterAdd(0, new IntTensor([1, 1, 0], 3), t[1]), g => [Leaf(g, 2), Leaf(g, 3)]),
        ["shape_ops"] = (t => t[0].Reshape(3, 2).Permute(1, 0).Slice(1, 1, 3).Expand(2, 2, 2).Flatten(), g => [Leaf(g, 2, 3)]),
        ["cat_stack"] = (t => Tensor.Stack([Tensor.Cat([t[0], t[1]], 0), Tensor.Cat([t[1], t[0]], 0)]), g => [Leaf(g, 1, 3), Leaf(g, 2, 3)]),
        ["rope"] = (t => F.Rope(t[0], [0, 5], 100f, RopeStyle.Half).Add(F.Rope(t[0], [1, 2], 100f, RopeStyle.Interleaved)), g => [Leaf(g, 1, 1, 2, 4)]),
        ["attention"] = (t => F.ScaledDotProductAttention(t[0], t[1], t[2], AttentionMask.Causal).Output, g => [Leaf(g, 1, 2, 3, 2), Leaf(g, 1, 1, 3, 2), Leaf(g, 1, 1, 3, 2)]),
    };

    [Theory]
    [MemberData(nameof(Ops))]
    public void SecondBackwardDoublesGradients(string op)
    {
        var (f, make) = Cases[op];
        var inputs = make(new Generator(131));
        var probe = f(inputs);
        var w = Tensor.Randn(new Generator(132), probe.Shape);
        f(inputs).Mul(w).Sum().Backward();
        var once = inputs.Select(x => x.Grad!.ToArray()).ToArray();
        f(inputs).Mul(w).Sum().Backward();
        for (int k = 0; k < inputs.Length; k++)
        {
            var twice = Tensor.FromArray(inputs[k].Grad!.Data, inputs[k].Shape);
            AssertClose(once[k].Select(v => 2 * v).ToArray(), twice, atol: 1e-6, rtol: 1e-6);
        }
    }
}
