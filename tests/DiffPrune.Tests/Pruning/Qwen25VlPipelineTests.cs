using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Pruning.Throttlers;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Optim;
using DiffPrune.Tests.Models;
using Xunit.Abstractions;

namespace DiffPrune.Tests.Pruning;

/// <summary>
/// DiffPrune's training path through the Qwen2.5-VL-style model (issue 21 parts 2 and 4): two images of different sizes
/// (N = 12 and 10 merged tokens) in one padded batch, each keeping K_i = round(N_i / 3) (4 and 3), against each image alone.
/// </summary>
public class Qwen25VlPipelineTests(ITestOutputHelper output)
{
    const double Tau = 0.8, Rate = 1.0 / 3;

    sealed record Setup(Qwen25VlModel Vlm, PrunerPipeline Pipeline, Tensor Features, Qwen25PatchGrid[] Grids, int[][] Text, int[] AnswerStart, RaggedBudget Budget);

    static Setup Build(IThrottler throttler, int candidates = 0, bool gated = false, DenoiserAttention attention = DenoiserAttention.Diagonal)
    {
        var vlm = new Qwen25VlModel(Qwen25VlModelTests.Tiny(), new Generator(2));
        vlm.RequiresGrad(false);
        // a 3 × 4 merged grid (12 tokens) and a 5 × 2 one (10 tokens, the row padded to 12)
        Tensor[] pixels = [Qwen25VlModelTests.Pixels(3), Tensor.Randn(new Generator(4), [3, 20, 8])];
        VisualTokens tokens;
        Qwen25PatchGrid[] grids;
        using (Autograd.NoGrad()) (tokens, grids) = vlm.EncodeImages(pixels);
        var features = tokens.Features;
        int e = features.Shape[2], slots = features.Shape[1];
        // junk in image 1's padded slots: nothing may read it
        var junk = Tensor.Randn(new Generator(8), [slots * e]);
        for (int j = tokens.CountOf(1) * e; j < slots * e; j++) features.Data[slots * e + j] = 4f * junk.Data[j] - 2f;
        int[][] text = [[1, .. vlm.ImagePlaceholders(grids[0]), 3, 20, 21, 2], [1, .. vlm.ImagePlaceholders(grids[1]), 3, 30, 31, 32, 2]];
        int[] answerStart = [text[0].Length - 3, text[1].Length - 4];
        var budget = RaggedBudget.FromRate(Rate, [tokens.CountOf(0), tokens.CountOf(1)]);
        var pipeline = new PrunerPipeline(vlm, new TokenScorer(e, new Generator(4), heads: 2), new Denoiser(e, new Generator(5), attention, heads: 2),
            throttler, TokenStandardizer.Fit(features.Slice(0, 0, 1)), LogitScale.Standardized, candidates, gated);
        return new(vlm, pipeline, features, grids, text, answerStart, budget);
    }

    static Tensor[] Trainable(PrunerPipeline p) => p.Scorer.Parameters().Concat(p.Denoiser.Parameters()).ToArray();

    static float[][] Gradients(PrunerPipeline p) => Trainable(p).Select(t => t.Grad?.ToArray() ?? new float[t.Numel]).ToArray();

    static void ZeroGrad(PrunerPipeline p)
    {
        p.Scorer.ZeroGrad();
        p.Denoiser.ZeroGrad();
    }

    [Fact]
    public void TheBudgetIsAThirdOfEachImagesOwnTokens() => Assert.Equal([4, 3], Build(new VpNoiseThrottler()).Budget.Keep);

    public static TheoryData<string, int, bool, DenoiserAttention> Variants => new()
    {
        { nameof(VpNoiseThrottler), 0, false, DenoiserAttention.Diagonal },
        { nameof(VpNoiseThrottler), 6, true, DenoiserAttention.Global },
        { nameof(GumbelSteThrottler), 0, false, DenoiserAttention.Diagonal },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void TheMixedBatchIsEachImageAloneInLossAndGradients(string throttler, int candidates, bool gated, DenoiserAttention attention)
    {
        var s = Build(throttler == nameof(VpNoiseThrottler) ? new VpNoiseThrottler() : new GumbelSteThrottler(), candidates, gated, attention);
        var pipeline = s.Pipeline;
        ZeroGrad(pipeline);
        var (loss, alpha) = pipeline.Loss(s.Features, s.Budget, s.Text, s.AnswerStart, Tau, new Generator(9), grids: s.Grids);
        loss.Backward();
        var batched = Gradients(pipeline);
        var answers = AnswerTargets.Masks(s.Text, s.AnswerStart).Select(m => (double)m.Count(a => a)).ToArray();
        double expectedLoss = 0, inside = 0;
        var expected = batched.Select(g => new double[g.Length]).ToArray();
        for (int i = 0; i < 2; i++)
        {
            ZeroGrad(pipeline);
            // the single-budget path on the image's own N_i tokens and grid, with its slots of the batch's noise
            var own = s.Features.Slice(0, i, i + 1).Slice(1, 0, s.Budget.Lengths[i]);
            var noise = new BatchNoise(new Generator(9), i, 2, s.Features.Shape[1]);
            var (lossAlone, alphaAlone) = pipeline.Loss(own, [s.Text[i]], [s.AnswerStart[i]], s.Budget.Keep[i], Tau, noise, [s.Grids[i]]);
            lossAlone.Backward();
            var grads = Gradients(pipeline);
            double scorerNorm = grads[..pipeline.Scorer.Parameters().Count()].Sum(g => g.Sum(v => (double)v * v));
            Assert.True(scorerNorm > 1e-8, $"image {i} sends no gradient to the scorer");
            double share = answers[i] / answers.Sum();
            expectedLoss += share * lossAlone.Item();
            inside += alphaAlone.MeanInsideTopK / 2;
            for (int p = 0; p < grads.Length; p++)
                for (int j = 0; j < grads[p].Length; j++) expected[p][j] += share * grads[p][j];
        }
        RaggedPipelineTests.AssertMatchesImagesAlone(output, $"{throttler}, candidates {candidates}, gated {gated}, {attention} denoiser", loss.Item(), expectedLoss,
            inside, alpha.MeanInsideTopK, batched, expected);
    }

    [Fact]
    public void AFewAdamWStepsTrainScorerAndDenoiserAndLeaveTheVlmUntouched()
    {
        var s = Build(new VpNoiseThrottler());
        var frozen = s.Vlm.NamedParameters().ToDictionary(p => p.Name, p => p.Value.ToArray());
        var before = s.Pipeline.Scorer.Head.Weight.ToArray();
        var opt = new AdamW(Trainable(s.Pipeline), lr: 1e-2f);
        var losses = new List<double>();
        for (int step = 0; step < 4; step++)
        {
            var (loss, alpha) = s.Pipeline.Loss(s.Features, s.Budget, s.Text, s.AnswerStart, Tau, new Generator((ulong)step), grids: s.Grids);
            opt.ZeroGrad();
            loss.Backward();
            Assert.All(Trainable(s.Pipeline), p => Assert.All(p.Grad?.ToArray() ?? [], v => Assert.True(float.IsFinite(v))));
            Assert.Contains(s.Pipeline.Scorer.Blocks.Items[0].SelfAttn.QProj.Weight.Grad!.ToArray(), v => v != 0f);
            Assert.InRange(alpha.MeanInsideTopK, 0, 1);
            opt.StepOnce();
            losses.Add(loss.Item());
        }
        output.WriteLine($"losses: {string.Join(", ", losses.Select(l => l.ToString("G6")))}");
        Assert.All(losses, l => Assert.True(double.IsFinite(l) && l > 0));
        Assert.False(s.Pipeline.Scorer.Head.Weight.ToArray().AsSpan().SequenceEqual(before));
        foreach (var (name, p) in s.Vlm.NamedParameters()) Assert.True(p.ToArray().AsSpan().SequenceEqual(frozen[name]), $"{name} changed");
    }

    [Fact]
    public void KeepingEveryTokenGivesTheModelsOwnAnswerLossOfTheMixedBatch()
    {
        // at rate 1 every real token has α = 1: VP-Noise passes it unchanged and a gated denoiser leaves it alone, so the
        // pipeline's loss is the model's answer loss of the unpruned batch, each image placed by its own grid
        var s = Build(new VpNoiseThrottler(), gated: true);
        var all = RaggedBudget.FromRate(1, s.Budget.Lengths);
        using var _ = Autograd.NoGrad();
        double pipeline = s.Pipeline.Loss(s.Features, all, s.Text, s.AnswerStart, Tau, new Generator(9), grids: s.Grids).Loss.Item();
        var tokens = new VisualTokens(s.Features, all.AllTokens(), null) { Grids = s.Grids };
        double model = s.Vlm.AnswerLoss(tokens, s.Text, AnswerTargets.Masks(s.Text, s.AnswerStart)).Loss.Item();
        Assert.True(Math.Abs(pipeline - model) <= 1e-5, $"pipeline {pipeline:R} vs model {model:R}");
        // the grids matter: the same tokens placed as other grids of the same sizes (4 × 3 and 2 × 5) give another loss
        var swapped = tokens with { Grids = [s.Vlm.Config.Vision.Grid(8, 6), s.Vlm.Config.Vision.Grid(4, 10)] };
        double other = s.Vlm.AnswerLoss(swapped, s.Text, AnswerTargets.Masks(s.Text, s.AnswerStart)).Loss.Item();
        Assert.True(Math.Abs(other - model) > 1e-4, $"other grids gave the same loss {other:R}");
    }

    [Fact]
    public void TokensWithoutTheirGridsAreRefused()
    {
        var s = Build(new VpNoiseThrottler());
        var error = Assert.Throws<ArgumentException>(() => s.Pipeline.Loss(s.Features, s.Budget, s.Text, s.AnswerStart, Tau, new Generator(1)));
        Assert.Contains("patch grids", error.Message);
    }
}
