using DiffPrune.Pruning;
using DiffPrune.Pruning.Throttlers;
using DiffPrune.Tensors;

namespace DiffPrune.Probes;

/// <summary>
/// The loss a probe scorer is trained on: cross-entropy of the frozen classifier on pruned patch tokens, by one of two paths.
/// <list type="bullet">
/// <item>DiffPrune: s = scorer(tokens + positions); α = Soft Top-K(s/τ, K); the standardised patch tokens are throttled by
/// VP-Noise (√α x + √(1−α) ε), restored, and the encoder sees all N of them.</item>
/// <item>Gumbel-STE: the mask is hard top-K of s + g (g Gumbel) in value and Soft Top-K(s + g)'s gradient in the backward
/// pass; it weights the attention keys, so the encoder sees exactly the K kept tokens.</item>
/// </list>
/// Noise (ε or g) comes from the generator passed in, so a fixed generator seed makes the loss a deterministic function of
/// the scorer's weights. The classifier and the standardiser never train.
/// </summary>
public sealed class ScorerObjective
{
    readonly VpNoiseThrottler _vpNoise = new();

    /// <summary>The frozen classifier.</summary>
    public DeitClassifier Classifier { get; }

    /// <summary>Channel statistics of the patch tokens (the VP-Noise form assumes unit-scale tokens).</summary>
    public TokenStandardizer Standardizer { get; }

    /// <summary>Tokens kept (K).</summary>
    public int Keep { get; }

    /// <summary>The objective at budget <paramref name="keep"/>; freezes <paramref name="classifier"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">K outside 1..N−1.</exception>
    public ScorerObjective(DeitClassifier classifier, TokenStandardizer standardizer, int keep)
    {
        int n = classifier.Config.NumPatches;
        if (keep < 1 || keep >= n) throw new ArgumentOutOfRangeException(nameof(keep), $"K must be in 1..{n - 1} for N = {n} tokens (got {keep})");
        classifier.RequiresGrad(false);
        (Classifier, Standardizer, Keep) = (classifier, standardizer, keep);
    }

    /// <summary>Mean cross-entropy of <paramref name="labels"/> given patch tokens (B, N, d), differentiable in the scorer's weights.</summary>
    public Tensor Loss(ProbeScorer scorer, ProbeMethod method, Tensor tokens, int[] labels, double tau, Generator noise)
    {
        var logits = scorer.Forward(Classifier.WithPositions(tokens));
        var classLogits = method switch
        {
            ProbeMethod.DiffPrune => Classifier.Classify(Standardizer.Restore(_vpNoise.Apply(Standardizer.Standardize(tokens), logits, Keep, tau, noise).Tokens)),
            ProbeMethod.GumbelSte => Classifier.Classify(tokens, GumbelSteThrottler.StraightThroughMask(logits, Keep, tau, noise).Mask),
            _ => throw new ArgumentOutOfRangeException(nameof(method), $"unknown probe method {method}"),
        };
        return F.CrossEntropy(classLogits, labels);
    }

    /// <summary>
    /// The value of <see cref="Loss"/> without a graph. Gumbel-STE's forward pass is hard top-K, so it is computed here by
    /// gathering the K kept tokens (the same function, at a fraction of the cost); the noise is drawn identically.
    /// </summary>
    public double Evaluate(ProbeScorer scorer, ProbeMethod method, Tensor tokens, int[] labels, double tau, Generator noise)
    {
        using var _ = Autograd.NoGrad();
        if (method != ProbeMethod.GumbelSte) return Loss(scorer, method, tokens, labels, tau, noise).Item();
        var logits = scorer.Forward(Classifier.WithPositions(tokens));
        var perturbed = logits.Add(Tensor.RandGumbel(noise, logits.Shape));
        return F.CrossEntropy(Classifier.ClassifyKept(tokens, HardTopK.Indices(perturbed, Keep)), labels).Item();
    }
}
