using System.Text.Json.Serialization;

namespace DiffPrune.Pruning;

/// <summary>
/// A threshold-mode budget as pruner.json stores it: keep each image's tokens whose standardised logit
/// z = (s − mean s)/std s (over that image's N logits, <see cref="ThresholdCalibration.Scores"/>) reaches
/// <paramref name="Value"/>, at least the best one; calibrated so that <paramref name="Images"/> validation images keep
/// <paramref name="MeanKeep"/> tokens on average.
/// </summary>
/// <param name="Value">The threshold on standardised logits.</param>
/// <param name="MeanKeep">The mean K it was calibrated to.</param>
/// <param name="Images">Validation images it was calibrated on.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CalibratedThreshold(double Value, int MeanKeep, int Images)
{
    /// <summary>Returns the threshold when it is usable.</summary>
    /// <exception cref="ArgumentException">A non-finite value, a mean K below 1 or no images (names which).</exception>
    public CalibratedThreshold Check()
    {
        if (!double.IsFinite(Value)) throw new ArgumentException($"the threshold must be a finite number (got {Value})");
        if (MeanKeep < 1) throw new ArgumentException($"the threshold's mean K must be at least 1 (got {MeanKeep})");
        if (Images < 1) throw new ArgumentException($"the threshold must be calibrated on at least 1 image (got {Images})");
        return this;
    }
}
