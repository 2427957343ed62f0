using static DiffPrune.Tensors.Tests.Ops.TestTensors;

namespace DiffPrune.Tensors.Tests.Ops;

/// <summary>add/sub/mul/div: broadcasting forward and the sum-over-broadcast-dims backward.</summary>
public class ElementwiseTests
{
    public static TheoryData<int[], int[]> BroadcastPairs => new()
    {
        { [2, 3, 4], [2, 3, 4] },   // same shape (span fast path)
        { [2, 3, 4], [3, 1] },      // b broadcast along the last dim and the batch
        { [2, 3, 4], [4] },         // b a row vector
        { [2, 3, 4], [1] },         // b scalar-shaped
        { [2, 1, 4], [3, 1] },      // both sides broadcast → [2, 3, 4]
        { [1], [2, 3] },            // a scalar-shaped
        { [], [2, 3] },             // a 0-d
        { [3, 2, 3, 4], [2, 1, 4] }, // 4-d with a broadcast middle dim
        { [1, 3, 1], [2, 1, 4] },    // broadcast dims alternate between the sides
    };

    static readonly (string Name, Func<Tensor, Tensor, Tensor> Op)[] Ops =
    [
        ("add", (a, b) => a.Add(b)),
        ("sub", (a, b) => a.Sub(b)),
        ("mul", (a, b) => a.Mul(b)),
        ("div", (a, b) => a.Div(b)),
    ];

    [Theory]
    [MemberData(nameof(BroadcastPairs))]
    public void BroadcastGradientsMatchFiniteDifferences(int[] aShape, int[] bShape)
    {
        var gen = new Generator(11);
        foreach (var (name, op) in Ops)
        {
            var a = Leaf(gen, aShape);
            // the divisor stays away from 0 so that 1/b is smooth over the finite-difference step
            var b = name == "div" ? Uniform(gen, 0.5f, 2f, bShape) : Leaf(gen, bShape);
            var y = op(a, b);
            Assert.Equal(ShapeUtil.Broadcast(aShape, bShape), y.Shape);
            GradCheck.Check(x => op(x[0], x[1]), [a, b]);
        }
    }

    [Fact]
    public void BroadcastForwardMatchesElementwiseDefinition()
    {
        var gen = new Generator(12);
        var a = Tensor.Randn(gen, [2, 1, 4]);
        var b = Tensor.Randn(gen, [3, 1]);
        var y = a.Mul(b).Sub(a).Add(b.Div(Tensor.Full([1], 2f)));
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 4; k++)
                {
                    float av = a[i, 0, k], bv = b[j, 0];
                    Assert.Equal(av * bv - av + bv / 2f, y[i, j, k], 1e-6f);
                }
    }

    [Fact]
    public void OnlyInputsThatRequireGradReceiveOne()
    {
        var gen = new Generator(13);
        var a = Leaf(gen, 2, 3);
        var c = Tensor.Randn(gen, [3]);
        a.Mul(c).Sum().Backward();
        Assert.NotNull(a.Grad);
        Assert.Null(c.Grad);
    }

    [Fact]
    public void ScalarFormsHaveRightGradients()
    {
        var gen = new Generator(14);
        var x = Leaf(gen, 3, 4);
        GradCheck.Check(t => t[0].Add(1.5f), [x]);
        GradCheck.Check(t => t[0].Sub(0.25f), [x]);
        GradCheck.Check(t => t[0].Mul(-3f), [x]);
        GradCheck.Check(t => t[0].Div(4f), [x]);
        GradCheck.Check(t => t[0].Neg(), [x]);
        GradCheck.Check(t => 2f * t[0] - 1f, [x]);
    }

    [Fact]
    public void SameTensorOnBothSidesAccumulatesBothContributions()
    {
        var gen = new Generator(15);
        var x = Leaf(gen, 5);
        GradCheck.Check(t => t[0].Mul(t[0]), [x]);
        GradCheck.Check(t => t[0].Add(t[0]), [x]);
        var y = Uniform(gen, 0.5f, 2f, 5);
        GradCheck.Check(t => t[0].Div(t[0].Add(1f)), [y]);
    }
}
