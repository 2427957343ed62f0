using DiffPrune.Pruning.Throttlers;

namespace DiffPrune.Training.Pruner;

/// <summary>Which throttler a pruner trains with: DiffPrune's, or an ablation.</summary>
public enum ThrottlerKind
{
    /// <summary>DiffPrune: √α x + √(1−α) ε.</summary>
    VpNoise,
    /// <summary>Ablation: α x.</summary>
    ScaleGate,
    /// <summary>GumbelDiffPrune: hard top-K of s + g forward, soft relaxation backward.</summary>
    GumbelSte,
}

/// <summary>Creates throttlers by kind.</summary>
public static class ThrottlerKinds
{
    /// <summary>The throttler of <paramref name="kind"/>.</summary>
    public static IThrottler Create(this ThrottlerKind kind) => kind switch
    {
        ThrottlerKind.VpNoise => new VpNoiseThrottler(),
        ThrottlerKind.ScaleGate => new ScaleGateThrottler(),
        ThrottlerKind.GumbelSte => new GumbelSteThrottler(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), $"unknown throttler {kind}"),
    };
}
