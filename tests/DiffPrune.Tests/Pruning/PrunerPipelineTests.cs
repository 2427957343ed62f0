using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Pruning.Throttlers;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Optim;
using DiffPrune.Tests.Models;

namespace DiffPrune.Tests.Pruning;

public class PrunerPipelineTests
{
    static readonly int[][] Text = [[1, 3, 5, 20, 21, 2], [1, 3, 5, 30, 31, 2]];
    static readonly int[] AnswerStart = [3, 3];

    static (LlavaModel Vlm, PrunerPipeline Pipeline, Tensor Features) Build(IThrottler throttler, int candidates = 0, bool gated = false)
    {
        var vlm = new LlavaModel(TinyModels.Llava(), new Generator(2));
        vlm.RequiresGrad(false);
        Tensor features;
        using (Autograd.NoGrad()) features = vlm.EncodeImages(TinyModels.Pixels(2, 3)).Features;
        int dv = vlm.Config.Vision.HiddenSize;
        var pipeline = new PrunerPipeline(vlm, new TokenScorer(dv, new Generator(4), heads: 2), new Denoiser(dv, new Generator(5), heads: 2),
            throttler, TokenStandardizer.Fit(features), candidates: candidates, gatedDenoiser: gated);
        return (vlm, pipeline, features);
    }

    [Fact]
    public void TrainingTheScorerAndDenoiserLeavesTheVlmBitwiseUnchanged()
    {
        var (vlm, pipeline, features) = Build(new VpNoiseThrottler());
        var before = vlm.NamedParameters().ToDictionary(p => p.Name, p => p.Value.ToArray());
        var scorerBefore = pipeline.Scorer.Head.Weight.ToArray();
        var opt = new AdamW(pipeline.Scorer.Parameters().Concat(pipeline.Denoiser.Parameters()), lr: 1e-2f);
        for (int step = 0; step < 3; step++)
        {
            var (loss, _) = pipeline.Loss(features, Text, AnswerStart, k: 4, tau: 1.0, new Generator((ulong)step));
            opt.ZeroGrad();
            loss.Backward();
            opt.StepOnce();
        }
        foreach (var (name, p) in vlm.NamedParameters())
        {
            Assert.Null(p.Grad);
            Assert.True(p.ToArray().AsSpan().SequenceEqual(before[name]), $"{name} changed");
        }
        Assert.False(pipeline.Scorer.Head.Weight.ToArray().AsSpan().SequenceEqual(scorerBefore));
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(6, false)]
    [InlineData(6, true)]
    public void TheScorerGradientThroughTheFrozenVlmMatchesFiniteDifferences(int candidates, bool gated)
    {
        var (_, pipeline, features) = Build(new VpNoiseThrottler(), candidates, gated);
        var w = pipeline.Scorer.Head.Weight;
        double Loss() => pipeline.Loss(features, Text, AnswerStart, 4, 1.0, new Generator(9)).Loss.Item(); // same noise every call
        pipeline.Scorer.ZeroGrad();
        pipeline.Loss(features, Text, AnswerStart, 4, 1.0, new Generator(9)).Loss.Backward();
        var analytic = w.Grad!.ToArray();
        Assert.Contains(analytic, g => Math.Abs(g) > 1e-4f);
        using (Autograd.NoGrad()) GradCheck.CheckEntries(w, analytic, Loss, stride: 3);
        // Soft Top-K only sees logit differences: the head bias gets no gradient
        Assert.True(Math.Abs(pipeline.Scorer.Head.Bias!.Grad!.Item()) < 1e-5f);
    }

    [Fact]
    public void WithKCandidatesAndBinaryAlphaTheVlmSeesTheDeployedTokensAtTheirPositions()
    {
        const int k = 4;
        var (vlm, pipeline, features) = Build(new VpNoiseThrottler(), candidates: k);
        using var _ = Autograd.NoGrad();
        var (loss, alpha) = pipeline.Loss(features, Text, AnswerStart, k, tau: 1e-6, new Generator(3));
        Assert.Equal(1.0, alpha.MeanInsideTopK, 6);
        // what hard top-K deploys, through the (token-by-token) denoiser: the same tokens at their original positions
        var kept = HardTopK.Indices(pipeline.Scorer.Forward(features), k);
        int n = features.Shape[1], d = features.Shape[2];
        var rows = kept.SelectMany((row, i) => row.Select(j => i * n + j)).ToArray();
        var tokens = pipeline.Denoiser.Forward(features.Reshape(-1, d).IndexSelect(0, rows).Reshape(2, k, d));
        var expected = new VlmInference(vlm).AnswerLoss(new VisualTokens(tokens, kept, null), null, Text, AnswerTargets.Masks(Text, AnswerStart)).Loss.Item();
        Assert.Equal(expected, loss.Item(), 4);
        // the paper's input (every token, the dropped ones as noise) is a different one
        var everyToken = Build(new VpNoiseThrottler()).Pipeline.Loss(features, Text, AnswerStart, k, tau: 1e-6, new Generator(3)).Loss.Item();
        Assert.True(Math.Abs(everyToken - expected) > 1e-3, $"{everyToken} vs {expected}");
    }

    [Fact]
    public void WithAGatedDenoiserKCandidatesAtBinaryAlphaAreExactlyTheDeployedInput()
    {
        const int k = 4;
        var (vlm, pipeline, features) = Build(new VpNoiseThrottler(), candidates: k, gated: true);
        using var _ = Autograd.NoGrad();
        var loss = pipeline.Loss(features, Text, AnswerStart, k, tau: 1e-6, new Generator(3)).Loss.Item();
        var pruner = new TokenPruner(pipeline.Scorer, new TokenPrunerConfig(pipeline.Scorer.Width, 2, pipeline.Scorer.Blocks.Count, k));
        var deployed = new VlmInference(vlm).AnswerLoss(VisualTokens.Of(features), pruner, Text, AnswerTargets.Masks(Text, AnswerStart)).Loss.Item();
        Assert.Equal(deployed, loss, 4);
        var ungated = Build(new VpNoiseThrottler(), candidates: k).Pipeline.Loss(features, Text, AnswerStart, k, tau: 1e-6, new Generator(3)).Loss.Item();
        Assert.True(Math.Abs(ungated - deployed) > 1e-3, $"{ungated} vs {deployed}");
    }

    [Fact]
    public void AllNCandidatesAreThePapersInputAndFewerThanKAreRefused()
    {
        var (_, all, features) = Build(new VpNoiseThrottler());
        var (_, n, _) = Build(new VpNoiseThrottler(), candidates: features.Shape[1]);
        using var _ = Autograd.NoGrad();
        Assert.Equal(all.Loss(features, Text, AnswerStart, 4, 0.5, new Generator(1)).Loss.Item(), n.Loss(features, Text, AnswerStart, 4, 0.5, new Generator(1)).Loss.Item());
        var (_, few, _) = Build(new VpNoiseThrottler(), candidates: 3);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => few.Loss(features, Text, AnswerStart, 4, 0.5, new Generator(1)));
        Assert.Contains("3 candidate tokens cannot hold K = 4", error.Message);
    }

    [Fact]
    public void AlphaStatsMeasureHowBinaryASelectionIs()
    {
        var hard = AlphaStats.Of(Tensor.FromArray([1f, 0f, 1f, 0f], 1, 4), 2);
        Assert.Equal((1.0, 0.0, 2.0), (hard.MeanInsideTopK, hard.MassOutsideTopK, hard.EffectiveTokens!.Value));
        var soft = AlphaStats.Of(Tensor.FromArray([0.6f, 0.4f, 0.6f, 0.4f], 1, 4), 2);
        Assert.Equal(0.6, soft.MeanInsideTopK, 6);
        Assert.Equal(0.4, soft.MassOutsideTopK, 6);
        // Σα = 2, Σα² = 1.04: the budget behaves like 3.85 evenly kept tokens
        Assert.Equal(4 / 1.04, soft.EffectiveTokens!.Value, 5);
        var even = AlphaStats.Of(Tensor.FromArray([0.5f, 0.5f, 0.5f, 0.5f], 1, 4), 2);
        Assert.Equal(4.0, even.EffectiveTokens!.Value, 6);
    }
}
