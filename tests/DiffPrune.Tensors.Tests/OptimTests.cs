using DiffPrune.Tensors.Optim;

namespace DiffPrune.Tensors.Tests;

/// <summary>Gradient clipping, the cosine schedule and AdamW's basic behaviour (its PyTorch golden test lives elsewhere).</summary>
public class OptimTests
{
    static Tensor Param(float[] values, float[]? grad = null)
    {
        var p = Tensor.FromArray(values, values.Length).RequireGrad();
        if (grad != null) p.Grad = Tensor.FromArray(grad, grad.Length);
        return p;
    }

    // ------------------------------------------------------------------ GradClip

    [Fact]
    public void ClipScalesAllGradientsToTheMaxGlobalNorm()
    {
        var a = Param([0f, 0f], [3f, 0f]);
        var b = Param([0f], [4f]);
        var c = Param([1f]); // no gradient: ignored
        double norm = GradClip.ClipGradNorm([a, b, c], maxNorm: 1.0);
        Assert.Equal(5.0, norm, 12);
        // clip_grad_norm_: coef = max_norm / (norm + 1e-6)
        float coef = (float)(1.0 / (5.0 + 1e-6));
        Assert.Equal([3f * coef, 0f], a.Grad!.ToArray());
        Assert.Equal([4f * coef], b.Grad!.ToArray());
        Assert.Null(c.Grad);
        double after = Math.Sqrt(a.Grad!.Data[0] * (double)a.Grad.Data[0] + b.Grad!.Data[0] * (double)b.Grad.Data[0]);
        Assert.Equal(1.0, after, 5);
    }

    [Fact]
    public void ClipLeavesSmallGradientsUntouched()
    {
        var a = Param([0f, 0f], [0.3f, -0.4f]);
        double norm = GradClip.ClipGradNorm([a], maxNorm: 1.0);
        Assert.Equal(0.5, norm, 6);
        Assert.Equal([0.3f, -0.4f], a.Grad!.ToArray());
    }

    [Fact]
    public void ClipReportsNonFiniteNormAndLeavesGradientsAlone()
    {
        var a = Param([0f, 0f], [float.NaN, 1f]);
        var b = Param([0f], [100f]);
        double norm = GradClip.ClipGradNorm([a, b], maxNorm: 1.0);
        Assert.True(double.IsNaN(norm));
        Assert.Equal(100f, b.Grad!.Data[0]);
        var c = Param([0f], [float.PositiveInfinity]);
        Assert.True(double.IsPositiveInfinity(GradClip.ClipGradNorm([c], 1.0)));
    }

    [Fact]
    public void ClipWithNoGradientsReturnsZero()
    {
        Assert.Equal(0.0, GradClip.ClipGradNorm([Param([1f])], 1.0));
        Assert.Equal(0.0, GradClip.ClipGradNorm([], 1.0));
    }

    // ------------------------------------------------------------------ CosineSchedule

    [Fact]
    public void ScheduleWarmsUpLinearlyThenDecaysByCosine()
    {
        var s = new CosineSchedule(PeakValue: 1e-3, FinalValue: 1e-5, TotalSteps: 110, WarmupSteps: 10);
        // warmup: peak·(step+1)/warmup, reaching the peak on the last warmup step
        for (int i = 0; i < 10; i++) Assert.Equal(1e-3 * (i + 1) / 10, s.At(i), 15);
        Assert.Equal(1e-3, s.At(10), 15);
        // halfway through the decay: the mean of peak and final
        Assert.Equal((1e-3 + 1e-5) / 2, s.At(60), 15);
        // quarter way: final + (peak − final)·(1 + cos(π/4))/2
        Assert.Equal(1e-5 + (1e-3 - 1e-5) * 0.5 * (1 + Math.Cos(Math.PI / 4)), s.At(35), 15);
        Assert.Equal(1e-5, s.At(110), 15);
        Assert.Equal(1e-5, s.At(10_000), 15); // held afterwards
        for (int i = 10; i < 110; i++) Assert.True(s.At(i + 1) <= s.At(i), $"not monotone at {i}");
    }

    [Fact]
    public void ScheduleWithoutWarmupStartsAtPeak()
    {
        // DiffPrune's temperature: 2.0 → 0.1
        var tau = new CosineSchedule(2.0, 0.1, TotalSteps: 100);
        Assert.Equal(2.0, tau.At(0), 15);
        Assert.Equal(1.05, tau.At(50), 12);
        Assert.Equal(0.1, tau.At(100), 15);
        // increasing schedules work too
        var up = new CosineSchedule(0.0, 1.0, TotalSteps: 4);
        Assert.Equal(0.5, up.At(2), 15);
        Assert.Equal(1.0, up.At(4), 15);
    }

    [Fact]
    public void ScheduleRejectsNonPositiveTotal() =>
        Assert.Throws<ArgumentException>(() => new CosineSchedule(1, 0, TotalSteps: 0).At(0));

    // ------------------------------------------------------------------ AdamW

    [Fact]
    public void FirstStepMovesEachWeightByTheLearningRateAgainstItsGradient()
    {
        // step 1: m̂ = g, v̂ = g² ⇒ update = lr·g/(|g| + eps) ≈ lr·sign(g), whatever the gradient's scale
        var p = Param([1f, 1f, 1f], [1e-3f, -50f, 2f]);
        var opt = new AdamW([p], lr: 0.1f, weightDecay: 0f);
        opt.StepOnce();
        Assert.Equal(1, opt.Step);
        float[] expected = [0.9f, 1.1f, 0.9f];
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], p.Data[i], 1e-5f);
    }

    [Fact]
    public void WeightDecayIsDecoupledFromTheGradient()
    {
        // zero gradient: the Adam update is 0 and only the decay p·(1 − lr·wd) acts
        var p = Param([2f, -4f], [0f, 0f]);
        var opt = new AdamW([p], lr: 0.1f, weightDecay: 0.5f);
        opt.StepOnce();
        Assert.Equal([2f * 0.95f, -4f * 0.95f], p.ToArray());
    }

    [Fact]
    public void ParametersWithoutGradientAreSkippedEntirely()
    {
        var withGrad = Param([1f], [1f]);
        var without = Param([1f]);
        var opt = new AdamW([withGrad, without], lr: 0.1f, weightDecay: 0.1f);
        opt.StepOnce();
        Assert.NotEqual(1f, withGrad.Data[0]);
        Assert.Equal(1f, without.Data[0]); // no decay either
        opt.ZeroGrad();
        Assert.Null(withGrad.Grad);
    }

    [Fact]
    public void MinimisesAQuadratic()
    {
        var target = Tensor.FromArray([3f, -2f, 0.5f], 3);
        var p = Tensor.Zeros(3).RequireGrad();
        var opt = new AdamW([p], lr: 0.05f, weightDecay: 0f);
        for (int step = 0; step < 500; step++)
        {
            opt.ZeroGrad();
            var d = p.Sub(target);
            d.Mul(d).Sum().Backward();
            opt.StepOnce();
        }
        for (int i = 0; i < 3; i++) Assert.Equal(target.Data[i], p.Data[i], 1e-2f);
    }

    [Fact]
    public void StateRoundTripResumesTheSameTrajectory()
    {
        static void Step(AdamW opt, Tensor p, int i)
        {
            p.Grad = Tensor.FromArray([MathF.Sin(i), MathF.Cos(i)], 2);
            opt.StepOnce();
        }
        var p1 = Param([1f, -1f]);
        var opt1 = new AdamW([p1], lr: 0.01f);
        for (int i = 0; i < 5; i++) Step(opt1, p1, i);
        var (step, moments) = opt1.GetState();
        var p2 = Param(p1.ToArray());
        var opt2 = new AdamW([p2], lr: 0.01f);
        opt2.SetState(step, moments);
        Assert.Equal(5, opt2.Step);
        for (int i = 5; i < 10; i++) { Step(opt1, p1, i); Step(opt2, p2, i); }
        Assert.Equal(p1.ToArray(), p2.ToArray());
    }

    [Fact]
    public void InvalidHyperParametersAndStateAreRejected()
    {
        var p = Param([1f]);
        Assert.Throws<ArgumentException>(() => new AdamW([p], lr: -1f));
        Assert.Throws<ArgumentException>(() => new AdamW([p], beta1: 1f));
        Assert.Throws<ArgumentException>(() => new AdamW([p], beta2: -0.1f));
        Assert.Throws<ArgumentException>(() => new AdamW([p], weightDecay: -0.1f));
        var opt = new AdamW([p]);
        Assert.Throws<InvalidDataException>(() => opt.SetState(1, new Dictionary<string, Tensor>()));
        Assert.Throws<InvalidDataException>(() => opt.SetState(1, new Dictionary<string, Tensor> { ["m.0"] = Tensor.Zeros(2), ["v.0"] = Tensor.Zeros(2) }));
    }
}
