namespace DiffPrune.Eval.Statistics;

/// <summary>
/// A method that is not behind the reference at its own budget but spends more LLM prefill compute on it, set against
/// the best reference row (any budget) that spends no more: the same K is not the same cost when a method prunes inside
/// the LLM, whose first layers still run on every visual token.
/// </summary>
/// <param name="Method">The method's row.</param>
/// <param name="Reference">The reference row with the highest retention among those whose prefill FLOPs are at most the method's.</param>
/// <param name="Difference">The method's retention minus the reference's, paired over the same resamples.</param>
public sealed record CostMatchedDifference(EvaluationRow Method, EvaluationRow Reference, PairedDifference Difference)
{
    /// <summary>
    /// Every such pair in <paramref name="blocks"/> (rows with their paired differences and prefill FLOPs);
    /// <paramref name="samples"/> gives each row's resampled retentions.
    /// </summary>
    public static IReadOnlyList<CostMatchedDifference> Find(IReadOnlyList<EvaluationBlock> blocks, IReadOnlyDictionary<EvaluationRow, double[]> samples)
    {
        var references = blocks.SelectMany(b => b.Rows).Where(r => r.IsReference && r.PrefillFlops != null && r.Retention != null).ToArray();
        var found = new List<CostMatchedDifference>();
        foreach (var block in blocks)
        {
            var own = block.Rows.FirstOrDefault(r => r.IsReference);
            if (own?.PrefillFlops is not double ownFlops) continue;
            foreach (var row in block.Rows.Where(r => !r.IsReference && r.Difference is { Verdict: not ComparisonVerdict.Lower }))
            {
                if (row.PrefillFlops is not double flops || flops <= ownFlops || row.Retention is not double retention) continue;
                var best = references.Where(r => r.PrefillFlops <= flops).MaxBy(r => r.Retention);
                if (best == null) continue;
                var difference = PairedDifference.Of(best.Method, retention - best.Retention!.Value, samples[row], samples[best]);
                if (difference != null) found.Add(new CostMatchedDifference(row, best, difference));
            }
        }
        return found;
    }
}
