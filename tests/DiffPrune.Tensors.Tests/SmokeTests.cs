using DiffPrune.Tensors.Blas;

namespace DiffPrune.Tensors.Tests;

public class SmokeTests
{
    [Fact]
    public void MatmulMatchesReferenceAndHasRightGradient()
    {
        var gen = new Generator(1);
        var a = GradCheck.Leaf(gen, 3, 4);
        var b = GradCheck.Leaf(gen, 4, 5);
        var y = a.Matmul(b);
        var expected = new float[15];
        ManagedGemm.Reference(false, false, 3, 5, 4, 1f, a.Data, 4, b.Data, 5, 0f, expected, 5);
        for (int i = 0; i < 15; i++) Assert.Equal(expected[i], y.Data[i], 1e-5f);
        GradCheck.Check(x => x[0].Matmul(x[1]), [a, b]);
    }

    [Fact]
    public void GradCheckDetectsAWrongBackward()
    {
        var gen = new Generator(2);
        var x = GradCheck.Leaf(gen, 5);
        // a custom function whose backward is deliberately off by a factor 2
        Tensor Wrong(Tensor[] t) => Autograd.Function("wrong_square", t[0].Detach().Mul(t[0].Detach()), [t[0]],
            g => [g.Mul(t[0].Detach()).Mul(4f)]);
        Assert.ThrowsAny<Exception>(() => GradCheck.Check(Wrong, [x]));
        Tensor Right(Tensor[] t) => Autograd.Function("square", t[0].Detach().Mul(t[0].Detach()), [t[0]],
            g => [g.Mul(t[0].Detach()).Mul(2f)]);
        GradCheck.Check(Right, [x]);
    }
}
