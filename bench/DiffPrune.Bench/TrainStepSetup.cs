using System.Diagnostics;
using DiffPrune.Data.Scenes;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Optim;
using DiffPrune.Training.Pruner;

namespace DiffPrune.Bench;

/// <summary>
/// One pruner training step on the shipped base VLM as <see cref="PrunerTrainer.TrainStep"/> takes it (batch 32 captions
/// from a feature pool, scorer, Soft Top-K + VP-Noise on standardised tokens, diagonal denoiser, frozen LM, caption NLL,
/// backward, clipping, AdamW), written out phase by phase so that each phase can be timed alone.
/// </summary>
internal sealed class TrainStepSetup
{
    public const int Batch = 32, Keep = 16, PoolScenes = 64;
    const double Tau = 1.0;

    /// <summary>Phases of a step, in order.</summary>
    public static readonly string[] Phases = ["scorer fwd", "soft top-k + throttle", "denoiser fwd", "LM fwd + loss", "backward", "clip + AdamW"];

    readonly CaptionFeaturePool _pool;
    readonly TokenScorer _scorer;
    readonly Denoiser _denoiser;
    readonly TokenStandardizer _standardizer;
    readonly Pruning.Throttlers.IThrottler _throttler = ThrottlerKind.VpNoise.Create();
    readonly VlmInference _inference;
    readonly AdamW _optimizer;
    int _step;

    public TrainStepSetup(string modelDir)
    {
        var (vlm, tokenizer) = ModelFolder.Load(modelDir);
        vlm.RequiresGrad(false);
        _pool = CaptionFeaturePool.Encode(vlm, tokenizer, SceneOptions.Default, PoolScenes, seed: 7);
        var gen = new Generator(1);
        int dv = vlm.Config.Vision.HiddenSize;
        _standardizer = TokenStandardizer.Fit(_pool.Tokens.Features);
        _scorer = new TokenScorer(dv, gen);
        _denoiser = new Denoiser(dv, gen);
        _inference = new VlmInference(vlm);
        _optimizer = new AdamW(_scorer.Parameters().Concat(_denoiser.Parameters()), 2e-4f, weightDecay: 0.01f);
    }

    /// <summary>The shipped model folder, found upwards from the working directory (the bench runs from the checkout).</summary>
    public static string? FindModel()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "models", "scenebench-vlm");
            if (File.Exists(Path.Combine(candidate, "config.json"))) return candidate;
        }
        return null;
    }

    /// <summary>One step on batch number <paramref name="batch"/> (default: the next one); returns each phase's seconds (in
    /// <see cref="Phases"/> order) and the loss. Steps on the same batch number multiply the same shapes.</summary>
    public (double[] Seconds, double Loss) Step(int? batch = null)
    {
        var seconds = new double[Phases.Length];
        using var scope = TensorScope.Begin();
        var gen = new Generator(1000 + (ulong)(batch ?? _step++));
        var (pooled, ids, start) = _pool.Batch(gen, Batch);
        var features = pooled.Features;
        var clock = Stopwatch.StartNew();
        OpProfile.Mark();
        var logits = _scorer.Forward(features);
        Lap(0);
        var throttled = _throttler.Apply(_standardizer.Standardize(features), LogitScale.Standardized.Apply(logits), Keep, Tau, gen);
        var restored = _standardizer.Restore(throttled.Tokens);
        Lap(1);
        var tokens = _denoiser.Forward(restored);
        Lap(2);
        var loss = _inference.AnswerLoss(VisualTokens.Of(tokens), null, ids, AnswerTargets.Masks(ids, start)).Loss;
        double value = loss.Item();
        Lap(3);
        _optimizer.ZeroGrad();
        loss.Backward();
        Lap(4);
        GradClip.ClipGradNorm(_optimizer.Parameters, 1.0);
        _optimizer.StepOnce();
        _optimizer.ZeroGrad();
        Lap(5);
        return (seconds, value);

        void Lap(int phase)
        {
            seconds[phase] = clock.Elapsed.TotalSeconds;
            clock.Restart();
        }
    }
}
