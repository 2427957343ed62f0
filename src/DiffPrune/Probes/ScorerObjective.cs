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
    public Tensor Loss(ProbeScorer scorer, ProbeMethod method, Tensor tokens, int[] labels, double tau, Generator noise) =>
        F.CrossEntropy(ClassLogits(scorer.Forward(Classifier.WithPositions(tokens)), method, tokens, tau, noise), labels);

    /// <summary>
    /// Class logits (B, C) on the path of <paramref name="method"/> for scorer logits (B, N), differentiable in them. Under
    /// NoGrad, Gumbel-STE's forward (hard top-K) is computed by gathering the K kept tokens: the same function at a
    /// fraction of the cost, with the noise drawn identically.
    /// </summary>
    public Tensor ClassLogits(Tensor scores, ProbeMethod method, Tensor tokens, double tau, Generator noise)
    {
        switch (method)
        {
            case ProbeMethod.DiffPrune:
                return Classifier.Classify(Standardizer.Restore(_vpNoise.Apply(Standardizer.Standardize(tokens), scores, Keep, tau, noise).Tokens));
            case ProbeMethod.GumbelSte when !Autograd.IsEnabled:
                return Classifier.ClassifyKept(tokens, HardTopK.Indices(scores.Add(Tensor.RandGumbel(noise, scores.Shape)), Keep));
            case ProbeMethod.GumbelSte:
                return Classifier.Classify(tokens, GumbelSteThrottler.StraightThroughMask(scores, Keep, tau, noise).Mask);
            default:
                throw new ArgumentOutOfRangeException(nameof(method), $"unknown probe method {method}");
        }
    }

    /// <summary>The value of <see cref="Loss"/>, computed without a graph (see <see cref="ClassLogits"/>).</summary>
    public double Evaluate(ProbeScorer scorer, ProbeMethod method, Tensor tokens, int[] labels, double tau, Generator noise)
    {
        using var _ = Autograd.NoGrad();
        return Loss(scorer, method, tokens, labels, tau, noise).Item();
    }
}
