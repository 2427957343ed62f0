using DiffPrune.Training.Pretraining;
using DiffPrune.Data.Scenes;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;

namespace DiffPrune.Eval;

/// <summary>
/// Threshold-mode pruners calibrated on SceneBench's validation split (never on the test scenes they are scored on):
/// the first <see cref="Scenes"/> validation scenes' images, through the frozen model's features
/// (<see cref="VlmInference.Encode(IReadOnlyList{Data.Images.RgbImage}, bool)"/>, cached), so that they keep a given K on
/// average (<see cref="ThresholdCalibration"/>). A threshold a pruner already stores for that K is reused as it is, so
/// that <c>prune</c> and <c>eval</c> decide with the one <c>train</c> calibrated; every other K is calibrated here.
/// </summary>
public sealed class ValidationThresholds
{
    const int Batch = 32;
    readonly VlmInference _inference;
    readonly SceneOptions _scenes;
    readonly Dictionary<(TokenPruner, int), TokenPruner> _calibrated = [];
    VisualTokens[]? _features;

    /// <summary>Calibration on <paramref name="scenes"/> validation scenes of geometry <paramref name="options"/> through <paramref name="inference"/>.</summary>
    /// <exception cref="ArgumentException">Fewer than 1 scene, or scenes of another geometry than the model's.</exception>
    public ValidationThresholds(VlmInference inference, SceneOptions options, int scenes)
    {
        if (scenes < 1) throw new ArgumentException($"--calibration-scenes must be at least 1 (got {scenes})");
        var config = inference.AsLlava("threshold calibration").Config;
        if (!SceneVlm.Reads(config, options)) throw new ArgumentException(SceneVlm.Mismatch(config, options));
        _inference = inference;
        _scenes = options;
        Scenes = scenes;
    }

    /// <summary>Validation scenes a threshold is calibrated on.</summary>
    public int Scenes { get; }

    /// <summary>
    /// <paramref name="pruner"/>'s scorer in threshold mode keeping <paramref name="meanKeep"/> tokens on average: with
    /// the threshold it stores when that was calibrated for <paramref name="meanKeep"/>, else one calibrated now (once per
    /// pruner and K).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">K outside 1..N.</exception>
    public TokenPruner At(TokenPruner pruner, int meanKeep) =>
        pruner.Config.Threshold?.MeanKeep == meanKeep ? pruner.InThresholdMode() : Calibrate(pruner, meanKeep);

    /// <summary><paramref name="pruner"/>'s scorer in threshold mode with a threshold calibrated here to mean K =
    /// <paramref name="meanKeep"/> (once per pruner and K), whatever it stores.</summary>
    /// <exception cref="ArgumentOutOfRangeException">K outside 1..N.</exception>
    public TokenPruner Calibrate(TokenPruner pruner, int meanKeep)
    {
        if (!_calibrated.TryGetValue((pruner, meanKeep), out var calibrated))
        {
            var scores = Features().SelectMany(f => pruner.WithKeep(meanKeep).ThresholdScores(f)).ToArray();
            calibrated = pruner.WithThreshold(ThresholdCalibration.Fit(scores, meanKeep).Threshold);
            _calibrated[(pruner, meanKeep)] = calibrated;
        }
        return calibrated;
    }

    /// <summary>What the calibration images keep at <paramref name="pruner"/>'s threshold (threshold mode).</summary>
    /// <exception cref="ArgumentException">A pruner without a threshold.</exception>
    public KeptTokenStats Kept(TokenPruner pruner)
    {
        double threshold = pruner.InThresholdMode().Config.Threshold!.Value;
        return KeptTokenStats.Of(Features().SelectMany(f => pruner.ThresholdScores(f)).Select(z => ThresholdCalibration.KeptCount(z, threshold)));
    }

    VisualTokens[] Features() => _features ??= new SceneBench(_scenes).Split(SceneSplit.Validation, Scenes)
        .Select(e => e.Scene.Image).Chunk(Batch).Select(images => _inference.Encode(images)).ToArray();
}
