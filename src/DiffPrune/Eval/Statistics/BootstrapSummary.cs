namespace DiffPrune.Eval.Statistics;

/// <summary>How a table's intervals were computed.</summary>
/// <param name="Resamples">Bootstrap resamples of the test scenes.</param>
/// <param name="Seed">Seed of the resamples.</param>
/// <param name="Level">Confidence level (0.95).</param>
/// <param name="Pairing">Which row of each budget the others are compared with.</param>
/// <param name="Seconds">Wall time of the bootstrap (tallies, resamples, intervals).</param>
public sealed record BootstrapSummary(int Resamples, ulong Seed, double Level, PairingRule Pairing, double Seconds);
