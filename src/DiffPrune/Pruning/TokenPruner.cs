using System.Text.Json;
using System.Text.Json.Serialization;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tensors.IO;

namespace DiffPrune.Pruning;

/// <summary>What a deployable pruner needs to rebuild itself: the scorer's shape, the budget, and a calibrated threshold if any.
/// pruner.json holds exactly these keys; any other is refused.</summary>
/// <param name="VisionWidth">d_v of the features it scores.</param>
/// <param name="Heads">Scorer attention heads.</param>
/// <param name="Layers">Scorer encoder blocks.</param>
/// <param name="Keep">Tokens kept per image (K) in top-K mode: the budget it was trained for.</param>
/// <param name="Threshold">The threshold of <see cref="BudgetMode.Threshold"/>, calibrated on validation images; null when none was.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record TokenPrunerConfig(int VisionWidth, int Heads, int Layers, int Keep, CalibratedThreshold? Threshold = null);

/// <summary>
/// DiffPrune at inference (paper Eq. 3): the trained scorer ranks the visual tokens and a hard top-K gather keeps
/// K of them in their original order, with their original position ids (through <see cref="VisualTokens"/>); or, in
/// <see cref="BudgetMode.Threshold"/>, each image keeps the tokens whose standardised logit reaches a calibrated
/// threshold, so K adapts per image. Throttler and denoiser are gone. Saved as its own small folder (pruner.json +
/// pruner.safetensors) that loads without any training code.
/// </summary>
public sealed class TokenPruner : PreLlmPruner
{
    const string ConfigFile = "pruner.json", WeightsFile = "pruner.safetensors";

    /// <summary>The scorer.</summary>
    public TokenScorer Scorer { get; }

    /// <summary>The configuration.</summary>
    public TokenPrunerConfig Config { get; }

    /// <summary>Top-K, or threshold (then <see cref="PreLlmPruner.Keep"/> is the mean K the threshold was calibrated to).</summary>
    public BudgetMode Mode { get; }

    /// <summary>A pruner from a (trained) scorer keeping <paramref name="config"/>.Keep tokens or, in threshold
    /// <paramref name="mode"/>, the tokens that reach <paramref name="config"/>.Threshold.</summary>
    /// <exception cref="ArgumentException">Threshold mode without a threshold, or an unusable threshold.</exception>
    public TokenPruner(TokenScorer scorer, TokenPrunerConfig config, BudgetMode mode = BudgetMode.TopK)
        : base(mode == BudgetMode.Threshold ? "DiffPrune (threshold)" : "DiffPrune", KeepIn(config, mode))
    {
        config.Threshold?.Check();
        Scorer = scorer;
        Config = config;
        Mode = mode;
    }

    static int KeepIn(TokenPrunerConfig config, BudgetMode mode) => mode switch
    {
        BudgetMode.TopK => config.Keep,
        BudgetMode.Threshold => config.Threshold?.MeanKeep
            ?? throw new ArgumentException("this pruner has no calibrated threshold: calibrate one on validation scenes (diffprune train --budget-mode threshold)"),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), $"unknown budget mode {mode}"),
    };

    /// <summary>
    /// The same scorer keeping <paramref name="keep"/> tokens by top-K instead: the ranking is unchanged, only the cut
    /// moves. A scorer trained for one K (<see cref="TokenPrunerConfig.Keep"/>) is evaluated at another budget this way,
    /// an extrapolation the tables mark ("trained K = 16"). A stored threshold stays in the config, unused.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">K &lt; 1.</exception>
    public TokenPruner WithKeep(int keep) =>
        keep == Config.Keep && Mode == BudgetMode.TopK ? this : new TokenPruner(Scorer, Config with { Keep = keep });

    /// <summary>The same scorer in threshold mode with <paramref name="threshold"/> (stored in its config).</summary>
    /// <exception cref="ArgumentException">An unusable threshold.</exception>
    public TokenPruner WithThreshold(CalibratedThreshold threshold) => new(Scorer, Config with { Threshold = threshold.Check() }, BudgetMode.Threshold);

    /// <summary>The same scorer in threshold mode with the threshold its config holds.</summary>
    /// <exception cref="ArgumentException">The config holds none.</exception>
    public TokenPruner InThresholdMode() => Mode == BudgetMode.Threshold ? this : new(Scorer, Config, BudgetMode.Threshold);

    /// <summary>
    /// Keeps, in original order, the K highest-scoring tokens of each image or, in threshold mode, every token whose
    /// standardised logit reaches the threshold (at least the best one: an image always keeps a token), so that each
    /// image keeps as many as it needs.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">K exceeds the tokens there are.</exception>
    /// <exception cref="ArgumentException">Features of another width than the scorer's.</exception>
    public override VisualTokens Prune(VisualTokens tokens)
    {
        using var _ = Autograd.NoGrad();
        var logits = Logits(tokens);
        if (Mode == BudgetMode.TopK) return tokens.Select(HardTopK.Indices(logits, Config.Keep));
        double threshold = Config.Threshold!.Value;
        return tokens.Select(ThresholdScores(logits).Select(z =>
        {
            var kept = Enumerable.Range(0, z.Length).Where(j => z[j] >= threshold).ToArray();
            return kept.Length > 0 ? kept : [Array.IndexOf(z, z.Max())];
        }).ToArray());
    }

    /// <summary>Scorer logits (B, N) of the tokens.</summary>
    /// <exception cref="ArgumentException">Features of another width than the scorer's.</exception>
    public Tensor Logits(VisualTokens tokens)
    {
        if (tokens.Features.Shape[2] != Config.VisionWidth)
            throw new ArgumentException($"pruner scores features of width {Config.VisionWidth}, got {tokens.Features.Describe()}");
        TokenBudget.Check(Keep, tokens.Count, nameof(tokens));
        using var _ = Autograd.NoGrad();
        return Scorer.Forward(tokens.Features);
    }

    /// <summary>What the threshold compares: each image's standardised logits (<see cref="ThresholdCalibration.Scores"/>).</summary>
    /// <exception cref="ArgumentException">Features of another width than the scorer's.</exception>
    public double[][] ThresholdScores(VisualTokens tokens) => ThresholdScores(Logits(tokens));

    static double[][] ThresholdScores(Tensor logits)
    {
        int n = logits.Shape[1];
        return Enumerable.Range(0, logits.Shape[0]).Select(i => ThresholdCalibration.Scores(logits.Data.Slice(i * n, n))).ToArray();
    }

    /// <summary>
    /// The same scorer in threshold mode, calibrated on <paramref name="calibration"/> (validation images) so that they
    /// keep <paramref name="meanKeep"/> tokens on average (default: the trained K), more where the scorer singles out many
    /// tokens and fewer where it singles out few (<see cref="ThresholdCalibration.Fit"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">K outside 1..N.</exception>
    public TokenPruner WithCalibratedThreshold(VisualTokens calibration, int? meanKeep = null)
    {
        var topK = WithKeep(meanKeep ?? Config.Keep);
        return WithThreshold(ThresholdCalibration.Fit(topK.ThresholdScores(calibration), meanKeep ?? Config.Keep).Threshold);
    }

    /// <summary>Writes pruner.json and pruner.safetensors into <paramref name="dir"/> (each atomically).</summary>
    public void Save(string dir)
    {
        Directory.CreateDirectory(dir);
        SafeTensors.Save(Path.Combine(dir, WeightsFile), Scorer.StateDict(), new Dictionary<string, string> { ["format"] = "diffprune-pruner" });
        AtomicFile.WriteAllText(Path.Combine(dir, ConfigFile), JsonSerializer.Serialize(Config, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Loads a pruner written by <see cref="Save"/>, in top-K mode (<see cref="InThresholdMode"/> uses its threshold).</summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">The config is unreadable, holds an unknown key or an unusable value, or the weights do not fit it (names the tensor).</exception>
    public static TokenPruner Load(string dir)
    {
        var configPath = Path.Combine(dir, ConfigFile);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{dir} holds no {ConfigFile}: not a pruner folder", configPath);
        TokenPrunerConfig config;
        try
        {
            config = JsonSerializer.Deserialize<TokenPrunerConfig>(File.ReadAllText(configPath))
                ?? throw new InvalidDataException($"{configPath} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{configPath} is not a pruner config: {e.Message}");
        }
        if (config.VisionWidth < 1 || config.Heads < 1 || config.Layers < 1 || config.VisionWidth % config.Heads != 0)
            throw new InvalidDataException($"{configPath}: invalid scorer shape (width {config.VisionWidth}, {config.Heads} heads, {config.Layers} layers)");
        if (config.Keep < 1) throw new InvalidDataException($"{configPath}: Keep must be at least 1 (got {config.Keep})");
        try
        {
            config.Threshold?.Check();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{configPath}: {e.Message}; calibrate it again (diffprune train --budget-mode threshold)");
        }
        var scorer = new TokenScorer(config.VisionWidth, new Generator(0), config.Heads, config.Layers);
        var weights = Path.Combine(dir, WeightsFile);
        if (!File.Exists(weights)) throw new FileNotFoundException($"{dir} holds no {WeightsFile}", weights);
        scorer.LoadSafeTensors(weights);
        return new TokenPruner(scorer, config);
    }
}
