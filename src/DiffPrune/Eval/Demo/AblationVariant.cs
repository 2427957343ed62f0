using DiffPrune.Pruning;
using DiffPrune.Training.Pruner;

namespace DiffPrune.Eval.Demo;

/// <summary>How one Table 5 variant is trained.</summary>
/// <param name="Variant">Its name in the table.</param>
/// <param name="Replaced">The design it replaces ("–" for the full method).</param>
/// <param name="Throttler">Its throttler.</param>
/// <param name="Denoiser">Its denoiser.</param>
/// <param name="LogitScale">What τ (and, for Gumbel-STE, the Gumbel noise) acts on.</param>
public sealed record AblationVariant(string Variant, string Replaced, ThrottlerKind Throttler, DenoiserAttention Denoiser, LogitScale LogitScale);
