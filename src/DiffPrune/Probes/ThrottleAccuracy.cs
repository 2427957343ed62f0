using DiffPrune.Pruning;
using DiffPrune.Pruning.Throttlers;
using DiffPrune.Tensors;

namespace DiffPrune.Probes;

/// <summary>Top-1 and top-5 accuracy of one way of restricting tokens at one budget (a row of Fig. 4b).</summary>
/// <param name="KeepFraction">Fraction of the N tokens kept.</param>
/// <param name="Keep">Tokens kept (K).</param>
/// <param name="HardTop1">Top-1 accuracy when only the top-K tokens reach the encoder.</param>
/// <param name="HardTop5">Top-5 accuracy, hard top-K.</param>
/// <param name="VpTop1">Top-1 accuracy when every token is throttled by VP-Noise with α = Soft Top-K of the same scores.</param>
/// <param name="VpTop5">Top-5 accuracy, VP-Noise.</param>
/// <param name="Alpha">How binary α was (mean α inside the top-K, mass outside it).</param>
public sealed record ThrottleAccuracyRow(double KeepFraction, int Keep, double HardTop1, double HardTop5, double VpTop1, double VpTop5, AlphaStats Alpha);

/// <summary>
/// Fig. 4b: with random scores (no scorer), does VP-Noise restrict information as strongly as hard pruning? Each image gets
/// scores s ~ N(0, 1) per token; hard top-K drops all but the K highest (the ViT sees K tokens with their positions);
/// VP-Noise throttles every standardised patch token with α = Soft Top-K(s/τ, K) and one Gaussian draw ε. Both use the same
/// scores. Accuracy is counted batch by batch (<see cref="Add"/>) so a caller can show progress.
/// </summary>
public sealed class ThrottleAccuracy
{
    readonly DeitClassifier _classifier;
    readonly TokenStandardizer _standardizer;
    readonly double _tau;
    readonly int[] _keeps;
    readonly long[] _hard1, _hard5, _vp1, _vp5;
    readonly double[] _alphaInside, _alphaOutside;
    long _full1, _full5;
    int _images;

    /// <summary>Fractions of the N tokens kept, in the order of <see cref="Rows"/>.</summary>
    public IReadOnlyList<double> KeepFractions { get; }

    /// <summary>Counts accuracy for <paramref name="classifier"/> at each of <paramref name="keepFractions"/>; α at temperature <paramref name="tau"/>.</summary>
    public ThrottleAccuracy(DeitClassifier classifier, TokenStandardizer standardizer, IReadOnlyList<double> keepFractions, double tau)
    {
        int n = classifier.Config.NumPatches;
        (_classifier, _standardizer, _tau, KeepFractions) = (classifier, standardizer, tau, keepFractions);
        _keeps = keepFractions.Select(f => (int)Math.Round(f * n)).ToArray();
        if (_keeps.Any(k => k < 1 || k > n)) throw new ArgumentOutOfRangeException(nameof(keepFractions), $"every keep fraction must keep 1..{n} tokens");
        (_hard1, _hard5, _vp1, _vp5) = (new long[_keeps.Length], new long[_keeps.Length], new long[_keeps.Length], new long[_keeps.Length]);
        (_alphaInside, _alphaOutside) = (new double[_keeps.Length], new double[_keeps.Length]);
    }

    /// <summary>Images counted so far.</summary>
    public int Images => _images;

    /// <summary>Scores one batch of pixels (B, 1, H, W) with their labels; <paramref name="gen"/> supplies the random scores and the VP noise.</summary>
    public void Add(Tensor pixels, int[] labels, Generator gen)
    {
        using var _ = Autograd.NoGrad();
        var tokens = _classifier.PatchTokens(pixels);
        int b = tokens.Shape[0], n = tokens.Shape[1];
        var scores = Tensor.Randn(gen, [b, n]);
        (_full1, _full5) = Count(_classifier.Classify(tokens), labels, _full1, _full5);
        for (int k = 0; k < _keeps.Length; k++)
        {
            int keep = _keeps[k];
            (_hard1[k], _hard5[k]) = Count(_classifier.ClassifyKept(tokens, HardTopK.Indices(scores, keep)), labels, _hard1[k], _hard5[k]);
            Tensor restricted, alpha;
            if (keep == n) (restricted, alpha) = (tokens, Tensor.Ones(b, n));
            else
            {
                var throttled = new VpNoiseThrottler().Apply(_standardizer.Standardize(tokens), scores, keep, _tau, gen);
                (restricted, alpha) = (_standardizer.Restore(throttled.Tokens), throttled.Alpha);
            }
            (_vp1[k], _vp5[k]) = Count(_classifier.Classify(restricted), labels, _vp1[k], _vp5[k]);
            var stats = AlphaStats.Of(alpha, keep);
            _alphaInside[k] += stats.MeanInsideTopK * b;
            _alphaOutside[k] += stats.MassOutsideTopK * b;
        }
        _images += b;
    }

    /// <summary>Top-1 and top-5 accuracy with every token (no restriction).</summary>
    public (double Top1, double Top5) Unpruned => (Rate(_full1), Rate(_full5));

    /// <summary>One row per keep fraction.</summary>
    public IReadOnlyList<ThrottleAccuracyRow> Rows => _keeps.Select((keep, k) => new ThrottleAccuracyRow(KeepFractions[k], keep,
        Rate(_hard1[k]), Rate(_hard5[k]), Rate(_vp1[k]), Rate(_vp5[k]), new AlphaStats(_alphaInside[k] / Math.Max(_images, 1), _alphaOutside[k] / Math.Max(_images, 1)))).ToArray();

    double Rate(long correct) => _images == 0 ? double.NaN : (double)correct / _images;

    /// <summary>Adds to the running counts of rows whose label is the top-1 class and one of the top-5 classes of <paramref name="logits"/> (B, C).</summary>
    internal static (long Top1, long Top5) Count(Tensor logits, int[] labels, long top1, long top5)
    {
        int c = logits.Shape[1];
        for (int r = 0; r < labels.Length; r++)
        {
            var row = logits.Data.Slice(r * c, c);
            float target = row[labels[r]];
            int above = 0;
            for (int j = 0; j < c; j++)
                if (row[j] > target || (row[j] == target && j < labels[r])) above++;   // rank of the label (ties: lower class first)
            if (above == 0) top1++;
            if (above < 5) top5++;
        }
        return (top1, top5);
    }
}
