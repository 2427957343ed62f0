namespace DiffPrune.Tensors.Tests;

/// <summary>The finite-difference checker itself: it must catch a backward that is only slightly wrong.</summary>
public class GradCheckTests
{
    // y = x³ with a hand-written backward 3x²·factor: factor 1 is right, 1.01 and 0.99 are 1 % wrong.
    static Tensor Cube(Tensor x, float factor) => Autograd.Function("cube", x.Detach().Mul(x.Detach()).Mul(x.Detach()), [x],
        g => [g.Mul(x.Detach().Mul(x.Detach())).Mul(3f * factor)]);

    // inputs in [1, 2]: every gradient entry is of order one or larger, where the default tolerances apply
    static Tensor Inputs() => Tensor.Rand(new Generator(5), [8], 1f, 2f).RequireGrad();

    [Fact]
    public void CheckAcceptsTheRightGradientAndRejectsOneOnePercentOff()
    {
        var x = Inputs();
        double worst = GradCheck.Check(t => Cube(t[0], 1f), [x]);
        Assert.True(worst < 1e-3, $"right gradient off by {worst:G3}");
        foreach (var factor in new[] { 1.01f, 0.99f })
        {
            var e = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => GradCheck.Check(t => Cube(t[0], factor), [x]));
            Assert.Contains("analytic", e.Message);
        }
    }

    [Fact]
    public void CheckEntriesAcceptsTheRightGradientAndRejectsOneOnePercentOff()
    {
        var w = Inputs();
        double Loss() => w.ToArray().Sum(v => (double)v * v * v);
        var right = w.ToArray().Select(v => 3 * v * v).ToArray();
        Assert.Equal(8, GradCheck.CheckEntries(w, right, Loss));
        Assert.Equal(4, GradCheck.CheckEntries(w, right, Loss, stride: 2));
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => GradCheck.CheckEntries(w, right.Select(g => g * 1.01f).ToArray(), Loss));
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => GradCheck.CheckEntries(w, right.Select(g => g * 0.99f).ToArray(), Loss));
    }
}
