using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Pruning.Throttlers;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Optim;
using DiffPrune.Tests.Models;
using Xunit.Abstractions;

namespace DiffPrune.Tests.Pruning;

/// <summary>DiffPrune's training path on a batch of images with different N and K (issue 21 part 4).</summary>
public class RaggedPipelineTests(ITestOutputHelper output)
{
    static readonly int[][] Text = [[1, 3, 5, 20, 21, 2], [1, 3, 5, 30, 31, 32, 2]];
    static readonly int[] AnswerStart = [3, 3];
    // image 0 holds all 16 patches, image 1 only 10 (its row padded with junk); rate 1/4 keeps 4 and round(2.5) = 3
    static readonly RaggedBudget Budget = RaggedBudget.FromRate(0.25, [16, 10]);
    const double Tau = 0.8;

    static (LlavaModel Vlm, PrunerPipeline Pipeline, Tensor Features) Build(IThrottler throttler, int candidates = 0, bool gated = false,
        DenoiserAttention attention = DenoiserAttention.Diagonal)
    {
        var vlm = new LlavaModel(TinyModels.Llava(), new Generator(2));
        vlm.RequiresGrad(false);
        Tensor features;
        using (Autograd.NoGrad()) features = vlm.EncodeImages(TinyModels.Pixels(2, 3)).Features;
        int dv = vlm.Config.Vision.HiddenSize, slots = features.Shape[1];
        var junk = Tensor.Randn(new Generator(8), [slots * dv]);
        for (int i = Budget.Lengths[1] * dv; i < slots * dv; i++) features.Data[slots * dv + i] = 4f * junk.Data[i] - 2f;
        var pipeline = new PrunerPipeline(vlm, new TokenScorer(dv, new Generator(4), heads: 2), new Denoiser(dv, new Generator(5), attention, heads: 2),
            throttler, TokenStandardizer.Fit(features.Slice(0, 0, 1)), LogitScale.Standardized, candidates, gated);
        return (vlm, pipeline, features);
    }

    static Tensor[] Trainable(PrunerPipeline p) => p.Scorer.Parameters().Concat(p.Denoiser.Parameters()).ToArray();

    static float[][] Gradients(PrunerPipeline p) => Trainable(p).Select(t => t.Grad?.ToArray() ?? new float[t.Numel]).ToArray();

    static void ZeroGrad(PrunerPipeline p)
    {
        p.Scorer.ZeroGrad();
        p.Denoiser.ZeroGrad();
    }

    static double[] AnswerShares()
    {
        var counts = AnswerTargets.Masks(Text, AnswerStart).Select(m => (double)m.Count(a => a)).ToArray();
        return counts.Select(c => c / counts.Sum()).ToArray();
    }

    public static TheoryData<string, int, bool, DenoiserAttention> Variants => new()
    {
        { nameof(VpNoiseThrottler), 0, false, DenoiserAttention.Diagonal },
        { nameof(VpNoiseThrottler), 6, true, DenoiserAttention.Global },
        { nameof(VpNoiseThrottler), 0, false, DenoiserAttention.Global },
        { nameof(GumbelSteThrottler), 0, false, DenoiserAttention.Diagonal },
        { nameof(ScaleGateThrottler), 6, false, DenoiserAttention.Diagonal },
    };

    static IThrottler Create(string name) => name switch
    {
        nameof(VpNoiseThrottler) => new VpNoiseThrottler(),
        nameof(ScaleGateThrottler) => new ScaleGateThrottler(),
        _ => new GumbelSteThrottler(),
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void ThePaddedBatchIsEachImageAloneInLossAndGradients(string throttler, int candidates, bool gated, DenoiserAttention attention)
    {
        var (_, pipeline, features) = Build(Create(throttler), candidates, gated, attention);
        ZeroGrad(pipeline);
        var (loss, alpha) = pipeline.Loss(features, Budget, Text, AnswerStart, Tau, new Generator(9));
        loss.Backward();
        var batched = Gradients(pipeline);
        var share = AnswerShares();
        double expectedLoss = 0, inside = 0;
        var expected = batched.Select(g => new double[g.Length]).ToArray();
        for (int i = 0; i < 2; i++)
        {
            ZeroGrad(pipeline);
            // the existing single-budget path on the image's own N_i tokens, with its slots of the batch's noise
            var own = features.Slice(0, i, i + 1).Slice(1, 0, Budget.Lengths[i]);
            var (lossAlone, alphaAlone) = pipeline.Loss(own, [Text[i]], [AnswerStart[i]], Budget.Keep[i], Tau, new BatchNoise(new Generator(9), i, 2, features.Shape[1]));
            lossAlone.Backward();
            var grads = Gradients(pipeline);
            // both images reach the scorer: each one's gradient alone is far from zero
            Assert.True(grads[..pipeline.Scorer.Parameters().Count()].Sum(g => g.Sum(v => (double)v * v)) > 1e-8, $"image {i} sends no gradient to the scorer");
            expectedLoss += share[i] * lossAlone.Item();
            inside += alphaAlone.MeanInsideTopK / 2;
            for (int p = 0; p < grads.Length; p++)
                for (int j = 0; j < grads[p].Length; j++) expected[p][j] += share[i] * grads[p][j];
        }
        AssertMatchesImagesAlone(output, $"{throttler}, candidates {candidates}, gated {gated}, {attention} denoiser", loss.Item(), expectedLoss,
            inside, alpha.MeanInsideTopK, batched, expected);
    }

    [Fact]
    public void SoftTopKTrainsWithADifferentNAndKPerImageInOneBatch()
    {
        var (vlm, pipeline, features) = Build(new VpNoiseThrottler());
        var frozen = vlm.NamedParameters().ToDictionary(p => p.Name, p => p.Value.ToArray());
        var before = pipeline.Scorer.Head.Weight.ToArray();
        var opt = new AdamW(Trainable(pipeline), lr: 1e-2f);
        var losses = new List<double>();
        for (int step = 0; step < 4; step++)
        {
            var (loss, alpha) = pipeline.Loss(features, Budget, Text, AnswerStart, Tau, new Generator((ulong)step));
            opt.ZeroGrad();
            loss.Backward();
            Assert.All(Trainable(pipeline), p => Assert.All(p.Grad?.ToArray() ?? [], v => Assert.True(float.IsFinite(v))));
            Assert.Contains(pipeline.Scorer.Blocks.Items[0].SelfAttn.QProj.Weight.Grad!.ToArray(), v => v != 0f);
            Assert.InRange(alpha.MeanInsideTopK, 0, 1);
            opt.StepOnce();
            losses.Add(loss.Item());
        }
        Assert.All(losses, l => Assert.True(double.IsFinite(l) && l > 0));
        Assert.False(pipeline.Scorer.Head.Weight.ToArray().AsSpan().SequenceEqual(before));
        foreach (var (name, p) in vlm.NamedParameters()) Assert.True(p.ToArray().AsSpan().SequenceEqual(frozen[name]), $"{name} changed");
    }

    [Fact]
    public void TheScorerGradientOfAPaddedBatchMatchesFiniteDifferences()
    {
        var (_, pipeline, features) = Build(new VpNoiseThrottler(), candidates: 6, gated: true, DenoiserAttention.Global);
        var w = pipeline.Scorer.Head.Weight;
        double Loss() => pipeline.Loss(features, Budget, Text, AnswerStart, Tau, new Generator(9)).Loss.Item(); // same noise every call
        ZeroGrad(pipeline);
        pipeline.Loss(features, Budget, Text, AnswerStart, Tau, new Generator(9)).Loss.Backward();
        var analytic = w.Grad!.ToArray();
        Assert.Contains(analytic, g => Math.Abs(g) > 1e-4f);
        using (Autograd.NoGrad()) GradCheck.CheckEntries(w, analytic, Loss, stride: 2);
    }

    [Fact]
    public void ARaggedBudgetThatDoesNotFitIsRefused()
    {
        var (_, pipeline, features) = Build(new VpNoiseThrottler());
        var error = Assert.Throws<ArgumentException>(() => pipeline.Loss(features, new RaggedBudget([16, 17], [2, 2]), Text, AnswerStart, Tau, new Generator(1)));
        Assert.Contains("N = 17", error.Message);
        var (_, few, _) = Build(new VpNoiseThrottler(), candidates: 3);
        Assert.Contains("3 candidate tokens cannot hold K = 4",
            Assert.Throws<ArgumentOutOfRangeException>(() => few.Loss(features, Budget, Text, AnswerStart, Tau, new Generator(1))).Message);
    }

    [Fact]
    public void TheDeployedPrunerKeepsEachImagesRateOfItsOwnTokensInOneBatch()
    {
        var (_, pipeline, features) = Build(new VpNoiseThrottler());
        var pruner = new TokenPruner(pipeline.Scorer, new TokenPrunerConfig(pipeline.Scorer.Width, 2, pipeline.Scorer.Blocks.Count, 4));
        var tokens = new VisualTokens(features, Budget.AllTokens(), null);
        var kept = pruner.PruneAtRate(tokens, 0.25);
        Assert.Equal(Budget.Keep, kept.PatchIndex.Select(p => p.Length).ToArray());
        Assert.Equal(kept.PatchIndex, pruner.KeptIndices(features, Budget));
        for (int i = 0; i < 2; i++)
        {
            // as the pruner on the image alone at K_i
            var alone = pruner.WithKeep(Budget.Keep[i]).Prune(tokens.Sample(i));
            Assert.Equal(alone.PatchIndex[0], kept.PatchIndex[i]);
            Assert.Equal(alone.Features.ToArray(), kept.Sample(i).Features.ToArray());
            Assert.All(kept.PatchIndex[i], j => Assert.True(j < Budget.Lengths[i]));
        }
    }

    /// <summary>
    /// A padded batch's loss, mean α in the top-K and scorer/denoiser gradients against the images run alone (their
    /// share-weighted sums): within 1e-5; prints the largest differences under <paramref name="setup"/>.
    /// </summary>
    internal static void AssertMatchesImagesAlone(ITestOutputHelper output, string setup, double loss, double expectedLoss, double inside, double meanInside,
        float[][] batched, double[][] expected)
    {
        Assert.True(double.IsFinite(loss));
        Assert.True(Math.Abs(loss - expectedLoss) <= 1e-5, $"batched loss {loss:R} vs images alone {expectedLoss:R}");
        Assert.Equal(inside, meanInside, 5);
        double worst = 0;
        for (int p = 0; p < batched.Length; p++)
            for (int j = 0; j < batched[p].Length; j++) worst = Math.Max(worst, Math.Abs(batched[p][j] - expected[p][j]));
        output.WriteLine($"{setup}: loss {loss:G6}, |Δloss| {Math.Abs(loss - expectedLoss):G3}, max |Δgrad| {worst:G3} over {batched.Sum(g => g.Length)} scorer and denoiser weights");
        Assert.True(worst <= 1e-5, $"batched gradients differ from the images' alone by {worst:G3}");
    }
}
