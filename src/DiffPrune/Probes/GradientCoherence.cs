using DiffPrune.Tensors;

namespace DiffPrune.Probes;

/// <summary>
/// Cross-batch gradient-direction coherence (paper Fig. 1c): at fixed scorer weights, the scorer's gradient is computed on
/// several mini-batches, each flattened into one vector, and the cosine similarity of every pair is averaged. 1 means every
/// mini-batch points the same way; 0, unrelated directions. An estimator whose direction flips with the selected subset
/// scores low even when its mean is right.
/// </summary>
public static class GradientCoherence
{
    /// <summary>Mean cosine similarity over all pairs of <paramref name="gradients"/> (a zero vector counts as cosine 0 with anything).</summary>
    /// <exception cref="ArgumentException">Fewer than two gradients, or gradients of different lengths.</exception>
    public static double MeanPairwiseCosine(IReadOnlyList<double[]> gradients)
    {
        if (gradients.Count < 2) throw new ArgumentException($"coherence needs at least two gradients (got {gradients.Count})");
        if (gradients.Any(g => g.Length != gradients[0].Length)) throw new ArgumentException("coherence needs gradients of one length");
        var norms = gradients.Select(g => Math.Sqrt(g.Sum(v => v * v))).ToArray();
        double sum = 0;
        int pairs = 0;
        for (int a = 0; a < gradients.Count; a++)
            for (int b = a + 1; b < gradients.Count; b++, pairs++)
            {
                if (norms[a] == 0 || norms[b] == 0) continue;
                double dot = 0;
                for (int i = 0; i < gradients[a].Length; i++) dot += gradients[a][i] * gradients[b][i];
                sum += dot / (norms[a] * norms[b]);
            }
        return sum / pairs;
    }

    /// <summary>
    /// The scorer's gradient on one mini-batch, all parameters flattened in registration order. <paramref name="noise"/> is
    /// the mini-batch's own noise draw (ε or g); the scorer's gradients are cleared before and after.
    /// </summary>
    public static double[] Gradient(ScorerObjective objective, ProbeScorer scorer, ProbeMethod method, Tensor tokens, int[] labels, double tau, Generator noise)
    {
        scorer.ZeroGrad();
        objective.Loss(scorer, method, tokens, labels, tau, noise).Backward();
        var flat = new List<double>();
        foreach (var p in scorer.Parameters())
        {
            if (p.Grad == null) flat.AddRange(new double[p.Numel]);
            else foreach (float g in p.Grad.Data) flat.Add(g);
        }
        scorer.ZeroGrad();
        return flat.ToArray();
    }
}
