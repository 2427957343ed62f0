using DiffPrune.Tensors.Optim;
using Xunit.Abstractions;

namespace DiffPrune.Tensors.Tests.Golden;

/// <summary>
/// Optim.AdamW against three steps of torch.optim.AdamW (adamw.bin): the stored gradients are replayed and the
/// parameters compared after every step. p0 (3, 4) has an element with zero gradient (decay only) and p1 (5)
/// one with a gradient ~1e-9, below eps.
/// </summary>
public sealed class AdamWGoldenTests(ITestOutputHelper log)
{
    /// <summary>max |diff| ≤ 1e-6 · max(1, max |expected|): parameters are O(1) and both sides run in float32.</summary>
    const double Tolerance = 1e-6;

    static readonly Lazy<GoldenFile> Fixture = new(() => GoldenFile.LoadFixture("adamw.bin"));

    /// <summary>hparams = [lr, beta1, beta2, eps, weight_decay].</summary>
    static (float Lr, float Beta1, float Beta2, float Eps, float WeightDecay) HParams(GoldenFile f)
    {
        var h = f["hparams"].Data;
        return (h[0], h[1], h[2], h[3], h[4]);
    }

    /// <summary>Replays the stored gradients; returns one comparison per parameter and step.</summary>
    static List<Comparison> Replay(float? weightDecay = null, float? eps = null)
    {
        var f = Fixture.Value;
        var hp = HParams(f);
        var p = new[] { f.Tensor("init.p0").RequireGrad(), f.Tensor("init.p1").RequireGrad() };
        var opt = new AdamW(p, hp.Lr, hp.Beta1, hp.Beta2, eps ?? hp.Eps, weightDecay ?? hp.WeightDecay);
        var results = new List<Comparison>();
        for (int step = 1; step <= 3; step++)
        {
            for (int i = 0; i < p.Length; i++) p[i].Grad = f.Tensor($"step{step}.grad.p{i}");
            opt.StepOnce();
            for (int i = 0; i < p.Length; i++)
                results.Add(GoldenCompare.Compare($"step{step}.p{i}", p[i], f[$"step{step}.p{i}"], Tolerance));
        }
        return results;
    }

    [Fact]
    public void MatchesPyTorchOverThreeSteps()
    {
        var results = Replay();
        log.WriteLine($"adamw: {GoldenCompare.Summary(results)}");
        GoldenCompare.AssertAll(results, log);
    }

    [Fact]
    public void StoredGradientsAreTheEnginesGradients()
    {
        // the replayed gradients are those of loss = Σ (p0⊙c0)² + Σ (p1⊙c1)² at the parameters before each step
        var f = Fixture.Value;
        var results = new List<Comparison>();
        for (int step = 1; step <= 3; step++)
        {
            string before = step == 1 ? "init." : $"step{step - 1}.";
            var p0 = f.Tensor(before + "p0").RequireGrad();
            var p1 = f.Tensor(before + "p1").RequireGrad();
            var loss = Square(p0.Mul(f.Tensor("c0"))).Sum().Add(Square(p1.Mul(f.Tensor("c1"))).Sum());
            loss.Backward();
            results.Add(GoldenCompare.Compare($"step{step}.grad.p0", p0.Grad, f[$"step{step}.grad.p0"], Tolerance));
            results.Add(GoldenCompare.Compare($"step{step}.grad.p1", p1.Grad, f[$"step{step}.grad.p1"], Tolerance));
        }
        GoldenCompare.AssertAll(results, log);

        static Tensor Square(Tensor t) => t.Mul(t);
    }

    [Fact]
    public void WrongWeightDecayOrEpsIsDetected()
    {
        // PyTorch's default decay (0.01) instead of 0.1, and eps 0 (the ~1e-9 gradient then takes a full lr step)
        var decay = Replay(weightDecay: 0.01f);
        var noEps = Replay(eps: 0f);
        foreach (var c in decay.Concat(noEps)) log.WriteLine(c.ToString());
        Assert.All(decay, c => Assert.False(c.Passed, $"weight decay 0.01 instead of 0.1 went unnoticed: {c}"));
        Assert.All(noEps.Where(c => c.What.EndsWith("p1", StringComparison.Ordinal)),
            c => Assert.False(c.Passed, $"eps 0 instead of 1e-8 went unnoticed: {c}"));
    }
}
