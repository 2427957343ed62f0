using DiffPrune.Probes;
using DiffPrune.Pruning;
using DiffPrune.Tensors;
using DiffPrune.Tests.Data;

namespace DiffPrune.Tests.Probes;

public class ScorerObjectiveTests(SyntheticFashionMnist data) : IClassFixture<SyntheticFashionMnist>
{
    [Fact]
    public void DiffPruneScorerGradientMatchesFiniteDifferencesThroughSoftTopKAndVpNoise()
    {
        var train = data.Train;
        var (objective, tokens, labels) = ProbeTestData.Objective(train);
        var scorer = new ProbeScorer(8, 16, new Generator(4));
        double Loss() => objective.Evaluate(scorer, ProbeMethod.DiffPrune, tokens, labels, 0.5, new Generator(11));   // the same ε every call
        scorer.ZeroGrad();
        objective.Loss(scorer, ProbeMethod.DiffPrune, tokens, labels, 0.5, new Generator(11)).Backward();
        int checkedCount = 0;
        foreach (var w in new[] { scorer.Mlp.Fc2.Weight, scorer.Mlp.Fc1.Weight })
        {
            var analytic = w.Grad!.ToArray();
            Assert.Contains(analytic, g => Math.Abs(g) > 1e-4f);
            checkedCount += GradCheck.CheckEntries(w, analytic, Loss, stride: 7, atol: 1e-3);
        }
        Assert.True(checkedCount > 10);
        // the classifier is frozen: nothing flowed into its weights
        Assert.All(objective.Classifier.Parameters(), p => Assert.Null(p.Grad));
    }

    [Fact]
    public void GumbelSteLossIsPiecewiseConstantInTheScorerWhileItsStraightThroughGradientIsNot()
    {
        var train = data.Train;
        var (objective, tokens, labels) = ProbeTestData.Objective(train);
        var scorer = new ProbeScorer(8, 16, new Generator(6));
        double Loss() => objective.Evaluate(scorer, ProbeMethod.GumbelSte, tokens, labels, 0.5, new Generator(12));
        double at = Loss();
        var w = scorer.Mlp.Fc1.Weight;
        var saved = w.ToArray();
        var gen = new Generator(8);
        for (int i = 0; i < w.Numel; i++) w.Data[i] = saved[i] + 1e-5f * (float)gen.NextNormal();   // too small to reorder any scores
        Assert.Equal(at, Loss());
        for (int i = 0; i < w.Numel; i++) w.Data[i] = saved[i] * 4 + (float)gen.NextNormal();       // reorders them
        Assert.NotEqual(at, Loss());
        saved.CopyTo(w.Data);
        // yet the straight-through backward gives a non-zero gradient
        scorer.ZeroGrad();
        objective.Loss(scorer, ProbeMethod.GumbelSte, tokens, labels, 0.5, new Generator(12)).Backward();
        Assert.Contains(w.Grad!.ToArray(), g => Math.Abs(g) > 1e-6f);
    }

    [Fact]
    public void GumbelSteScoreGradientIsTheHardMaskGradientPulledBackThroughSoftTopKOfThePerturbedScores()
    {
        // paper Eq. 1: value hard top-K of s + g, gradient ∂α/∂s of α = Soft Top-K(s + g, K, τ) applied to ∂L/∂mask
        var (objective, tokens, labels) = ProbeTestData.Objective(data.Train);
        int b = tokens.Shape[0], n = tokens.Shape[1];
        const double tau = 0.5;
        var raw = Tensor.Randn(new Generator(30), [b, n]).ToArray();
        var s = Tensor.FromArray(raw, b, n).RequireGrad();
        F.CrossEntropy(objective.ClassLogits(s, ProbeMethod.GumbelSte, tokens, tau, new Generator(12)), labels).Backward();

        var g = Tensor.RandGumbel(new Generator(12), [b, n]);                       // the same draws as the objective's
        var perturbed = Tensor.FromArray(raw, b, n).Add(g);
        var mask = Tensor.FromArray(HardTopK.Mask(perturbed, objective.Keep).ToArray(), b, n).RequireGrad();
        Assert.Equal(objective.Keep * b, mask.ToArray().Sum(), 3);
        F.CrossEntropy(objective.Classifier.Classify(tokens, mask), labels).Backward();
        var upstream = Tensor.FromArray(mask.Grad!.ToArray(), b, n);
        var s2 = Tensor.FromArray(raw, b, n).RequireGrad();
        SoftTopK.Forward(s2.Add(g), objective.Keep, tau).Mul(upstream).Sum().Backward();

        Assert.Contains(s2.Grad!.ToArray(), v => Math.Abs(v) > 1e-6f);
        Tolerance.AssertClose(s2.Grad!, s.Grad!, atol: 1e-6, rtol: 0);
    }

    [Fact]
    public void TheGatheredGumbelForwardIsTheMaskedAttentionForward()
    {
        var train = data.Train;
        var (objective, tokens, labels) = ProbeTestData.Objective(train);
        var scorer = new ProbeScorer(8, 16, new Generator(7));
        double masked = objective.Loss(scorer, ProbeMethod.GumbelSte, tokens, labels, 0.5, new Generator(13)).Item();
        Assert.Equal(masked, objective.Evaluate(scorer, ProbeMethod.GumbelSte, tokens, labels, 0.5, new Generator(13)), 5);
        Assert.Equal(objective.Loss(scorer, ProbeMethod.DiffPrune, tokens, labels, 0.5, new Generator(13)).Item(),
            objective.Evaluate(scorer, ProbeMethod.DiffPrune, tokens, labels, 0.5, new Generator(13)), 6);
    }

    [Fact]
    public void BudgetsOutsideOneToNMinusOneAreRejected()
    {
        var train = data.Train;
        var (objective, _, _) = ProbeTestData.Objective(train);
        foreach (int k in new[] { 0, 196 })
            Assert.Contains("K must be in 1..195", Assert.Throws<ArgumentOutOfRangeException>(() => new ScorerObjective(objective.Classifier, objective.Standardizer, k)).Message);
    }
}
