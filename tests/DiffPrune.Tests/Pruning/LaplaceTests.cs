using DiffPrune.Pruning;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Pruning;

public class LaplaceTests
{
    static readonly float[] Points = [-6f, -2f, -0.7f, -0.05f, 0.05f, 0.7f, 2f, 6f];

    [Fact]
    public void ClosedFormsMatchFiniteDifferences()
    {
        foreach (var op in new Func<Tensor, Tensor>[] { Laplace.Cdf, Laplace.SqrtCdf, Laplace.SqrtSurvival })
            GradCheck.Check(x => op(x[0]), [Tensor.FromArray(Points, 2, 4).RequireGrad()], h: 1e-3, atol: 1e-4, rtol: 1e-2);
    }

    [Fact]
    public void SquareRootsAreThoseOfAlphaAndOneMinusAlpha()
    {
        var x = Tensor.FromArray(Points, Points.Length);
        var a = Laplace.Cdf(x).ToArray();
        var sa = Laplace.SqrtCdf(x).ToArray();
        var sb = Laplace.SqrtSurvival(x).ToArray();
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i], sa[i] * sa[i], 6);
            Assert.Equal(1 - a[i], sb[i] * sb[i], 6);
        }
    }

    [Fact]
    public void ValuesAndGradientsStayFiniteWhereAlphaReachesZeroOrOne()
    {
        foreach (var op in new Func<Tensor, Tensor>[] { Laplace.Cdf, Laplace.SqrtCdf, Laplace.SqrtSurvival })
        {
            var x = Tensor.FromArray([-1e4f, -80f, 0f, 80f, 1e4f], 5).RequireGrad();
            var y = op(x);
            y.Sum().Backward();
            Assert.All(y.ToArray(), v => Assert.True(float.IsFinite(v) && v >= 0 && v <= 1));
            Assert.All(x.Grad!.ToArray(), v => Assert.True(float.IsFinite(v)));
        }
        Assert.Equal([0f, 1f], Laplace.Cdf(Tensor.FromArray([-1e4f, 1e4f], 2)).ToArray());
    }
}
