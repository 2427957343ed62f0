using DiffPrune.Probes;
using DiffPrune.Tensors;
using DiffPrune.Tests.Data;

namespace DiffPrune.Tests.Probes;

public class GradientCoherenceTests(SyntheticFashionMnist data) : IClassFixture<SyntheticFashionMnist>
{
    [Fact]
    public void MeanPairwiseCosineIsTheAverageOverAllPairs()
    {
        Assert.Equal(1, GradientCoherence.MeanPairwiseCosine([[1, 2, 3], [2, 4, 6], [0.5, 1, 1.5]]), 12);
        Assert.Equal(-1, GradientCoherence.MeanPairwiseCosine([[1, -2], [-1, 2]]), 12);
        Assert.Equal(0, GradientCoherence.MeanPairwiseCosine([[1, 0], [0, 3]]), 12);
        // pairs (a, b) = 1, (a, c) = 0, (b, c) = 0
        Assert.Equal(1.0 / 3, GradientCoherence.MeanPairwiseCosine([[1, 0], [2, 0], [0, 1]]), 12);
        // pairs (a, b) = 1/√2, (a, c) = 0, (b, c) = 1/√2: mean √2/3
        Assert.Equal(Math.Sqrt(2) / 3, GradientCoherence.MeanPairwiseCosine([[1, 0], [1, 1], [0, 1]]), 12);
        // scale does not matter, direction does: (3, 4) vs (−4, 3) is orthogonal, (3, 4) vs (6, 8) parallel
        Assert.Equal(1.0 / 3, GradientCoherence.MeanPairwiseCosine([[3, 4], [-4, 3], [6, 8]]), 12);
        Assert.Equal(0, GradientCoherence.MeanPairwiseCosine([[0, 0], [1, 1]]), 12);
        Assert.Throws<ArgumentException>(() => GradientCoherence.MeanPairwiseCosine([[1.0]]));
        Assert.Throws<ArgumentException>(() => GradientCoherence.MeanPairwiseCosine([[1.0], [1.0, 2.0]]));
    }

    [Theory]
    [InlineData(ProbeMethod.DiffPrune)]
    [InlineData(ProbeMethod.GumbelSte)]
    public void TheSameMiniBatchAndNoiseGiveCoherenceOneAndOthersLess(ProbeMethod method)
    {
        var train = data.Train;
        var (objective, tokens, labels) = ProbeTestData.Objective(train, images: 4);
        var scorer = new ProbeScorer(8, 16, new Generator(4));
        var g = GradientCoherence.Gradient(objective, scorer, method, tokens, labels, 0.5, new Generator(21));
        Assert.Equal(scorer.ParameterCount, g.Length);
        Assert.Equal(1, GradientCoherence.MeanPairwiseCosine([g, GradientCoherence.Gradient(objective, scorer, method, tokens, labels, 0.5, new Generator(21))]), 9);
        Assert.All(scorer.Parameters(), p => Assert.Null(p.Grad));
        var other = GradientCoherence.Gradient(objective, scorer, method, tokens.Slice(0, 0, 2), labels[..2], 0.5, new Generator(22));
        Assert.True(GradientCoherence.MeanPairwiseCosine([g, other]) < 0.99, "another mini-batch and noise draw point elsewhere");
    }

    [Theory]
    [InlineData(ProbeMethod.DiffPrune)]
    [InlineData(ProbeMethod.GumbelSte)]
    public void TheGradientIsEveryScorerParameterGradientInRegistrationOrderWhateverWasAccumulatedBefore(ProbeMethod method)
    {
        var (objective, tokens, labels) = ProbeTestData.Objective(data.Train, images: 4);
        var scorer = new ProbeScorer(8, 16, new Generator(4));
        scorer.ZeroGrad();
        objective.Loss(scorer, method, tokens, labels, 0.5, new Generator(21)).Backward();
        var expected = scorer.Parameters().SelectMany(p => p.Grad!.ToArray().Select(v => (double)v)).ToArray();
        Assert.Equal(["mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias"], scorer.NamedParameters().Select(p => p.Name));
        // stale gradients of another mini-batch are left in place: the measurement must not add to them
        objective.Loss(scorer, method, tokens.Slice(0, 0, 2), labels[..2], 0.5, new Generator(22)).Backward();
        var g = GradientCoherence.Gradient(objective, scorer, method, tokens, labels, 0.5, new Generator(21));
        Assert.Equal(expected.Length, g.Length);
        for (int i = 0; i < g.Length; i++) Assert.Equal(expected[i], g[i], 12);
    }
}
