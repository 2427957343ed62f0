using DiffPrune.Data.Scenes;
using DiffPrune.Eval.Statistics;
using DiffPrune.Pruning;
using DiffPrune.Training.Pruner;

namespace DiffPrune.Eval.Demo;

/// <summary>One row of paper Table 5: DiffPrune or one of its variants, trained alike, at one budget.</summary>
/// <param name="Variant">"Full DiffPrune", "Gumbel-STE Throttler", "Scale-gate Throttler", "Global-attention Denoiser".</param>
/// <param name="Replaced">The design it replaces ("–" for the full method).</param>
/// <param name="Throttler">Its throttler.</param>
/// <param name="Denoiser">Its denoiser.</param>
/// <param name="LogitScale">What τ acts on.</param>
/// <param name="Keep">K.</param>
/// <param name="Scores">Test scores of its deployed hard top-K pruner.</param>
/// <param name="Retention">Average retention over all suites.</param>
/// <param name="PaperRetention">Average retention over the paper's Table 5 suites (GQA, MMBench, POPE, MME).</param>
/// <param name="Alpha">How binary α was in the last validation (mean in the top-K, mass outside).</param>
/// <param name="SoftLoss">The last validation loss on the soft training input.</param>
/// <param name="HardLoss">The last validation loss with hard top-K.</param>
public sealed record AblationRow(string Variant, string Replaced, ThrottlerKind Throttler, DenoiserAttention Denoiser, LogitScale LogitScale, int Keep,
    IReadOnlyList<SuiteScore> Scores, double? Retention, double? PaperRetention, AlphaStats Alpha, double SoftLoss, double HardLoss)
{
    /// <summary>The bootstrap interval of <see cref="Retention"/> over the test scenes (Vanilla rescored on each resample too).</summary>
    public ConfidenceInterval? RetentionInterval { get; init; }

    /// <summary>The bootstrap interval of <see cref="PaperRetention"/>.</summary>
    public ConfidenceInterval? PaperRetentionInterval { get; init; }

    /// <summary><see cref="Retention"/> minus the full method's, paired over the same resamples.</summary>
    public PairedDifference? Difference { get; init; }

    /// <summary>The suites the paper's Table 5 averages over.</summary>
    public static IReadOnlyList<SceneSuite> PaperSuites { get; } = [SceneSuite.Gqa, SceneSuite.MmBench, SceneSuite.Pope, SceneSuite.Mme];

    /// <summary>
    /// The four variants of Table 5, the full method first: (name, replaced design, throttler, denoiser, logit scale).
    /// Gumbel-STE perturbs raw logits, as the paper's Eq. 1 does: standardised to unit spread, the scorer could never
    /// outgrow the Gumbel noise and the variant would be handicapped by a fix made for Soft Top-K's temperature.
    /// </summary>
    public static IReadOnlyList<AblationVariant> Variants { get; } =
    [
        new("Full DiffPrune", "–", ThrottlerKind.VpNoise, DenoiserAttention.Diagonal, LogitScale.Standardized),
        new("Gumbel-STE Throttler", "gradient-continuous", ThrottlerKind.GumbelSte, DenoiserAttention.Diagonal, LogitScale.Raw),
        new("Scale-gate Throttler", "VP-Noise form", ThrottlerKind.ScaleGate, DenoiserAttention.Diagonal, LogitScale.Standardized),
        new("Global-attention Denoiser", "diagonal", ThrottlerKind.VpNoise, DenoiserAttention.Global, LogitScale.Standardized),
    ];
}
