using System.Text.Json;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tensors.IO;

namespace DiffPrune.Pruning;

/// <summary>What a deployable pruner needs to rebuild itself: the scorer's shape and the budget.</summary>
/// <param name="VisionWidth">d_v of the features it scores.</param>
/// <param name="Heads">Scorer attention heads.</param>
/// <param name="Layers">Scorer encoder blocks.</param>
/// <param name="Keep">Tokens kept per image (K); in threshold mode, the mean K the threshold was calibrated to.</param>
/// <param name="Threshold">Threshold mode: keep each image's tokens whose logit reaches this (null: top-K).</param>
public sealed record TokenPrunerConfig(int VisionWidth, int Heads, int Layers, int Keep, float? Threshold = null);

/// <summary>
/// DiffPrune at inference (paper Eq. 3): the trained scorer ranks the visual tokens and a hard top-K gather keeps
/// K of them in their original order, with their original position ids (through <see cref="VisualTokens"/>).
/// Throttler and denoiser are gone. Saved as its own small folder (pruner.json + pruner.safetensors) that loads
/// without any training code.
/// </summary>
public sealed class TokenPruner : PreLlmPruner
{
    const string ConfigFile = "pruner.json", WeightsFile = "pruner.safetensors";

    /// <summary>The scorer.</summary>
    public TokenScorer Scorer { get; }

    /// <summary>The configuration.</summary>
    public TokenPrunerConfig Config { get; }



    /// <summary>A pruner from a (trained) scorer keeping <paramref name="config"/>.Keep tokens (or, with a threshold,
    /// the tokens that reach it).</summary>
    public TokenPruner(TokenScorer scorer, TokenPrunerConfig config) : base(config.Threshold == null ? "DiffPrune" : "DiffPrune (threshold)", config.Keep)
    {
        Scorer = scorer;
        Config = config;
    }

    /// <summary>
    /// The same scorer keeping <paramref name="keep"/> tokens instead: the ranking is unchanged, only the top-K cut
    /// moves. A scorer trained for one K (<see cref="TokenPrunerConfig.Keep"/>) is evaluated at another budget this way,
    /// an extrapolation the tables mark ("trained K = 16").
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">K &lt; 1.</exception>
    public TokenPruner WithKeep(int keep) => keep == Config.Keep ? this : new TokenPruner(Scorer, Config with { Keep = keep });

    /// <summary>
    /// Keeps, in original order, the K highest-scoring tokens of each image or, in threshold mode, every token whose
    /// logit reaches the threshold (at least the best one), so that each image keeps as many as it needs.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">K exceeds the tokens there are.</exception>
    /// <exception cref="ArgumentException">Features of another width than the scorer's.</exception>
    public override VisualTokens Prune(VisualTokens tokens)
    {
        using var _ = Autograd.NoGrad();
        var logits = Logits(tokens);
        if (Config.Threshold is not float threshold) return tokens.Select(HardTopK.Indices(logits, Config.Keep));
        int n = logits.Shape[1];
        var all = logits.Data.ToArray();
        return tokens.Select(Enumerable.Range(0, logits.Shape[0]).Select(i =>
        {
            var kept = Enumerable.Range(0, n).Where(j => all[i * n + j] >= threshold).ToArray();
            return kept.Length > 0 ? kept : [System.Numerics.Tensors.TensorPrimitives.IndexOfMax(all.AsSpan(i * n, n))];
        }).ToArray());
    }

    /// <summary>Scorer logits (B, N) of the tokens.</summary>
    /// <exception cref="ArgumentException">Features of another width than the scorer's.</exception>
    public Tensor Logits(VisualTokens tokens)
    {
        if (tokens.Features.Shape[2] != Config.VisionWidth)
            throw new ArgumentException($"pruner scores features of width {Config.VisionWidth}, got {tokens.Features.Describe()}");
        TokenBudget.Check(Config.Keep, tokens.Count, nameof(tokens));
        using var _ = Autograd.NoGrad();
        return Scorer.Forward(tokens.Features);
    }

    /// <summary>
    /// The same scorer in threshold mode: the threshold is the (K·B)-th largest logit over the B images of
    /// <paramref name="calibration"/> (validation images), so that those images keep K tokens on average, more where the
    /// scorer rates many tokens highly and fewer where it rates few.
    /// </summary>
    public TokenPruner WithCalibratedThreshold(VisualTokens calibration)
    {
        var logits = Logits(calibration).Data.ToArray();
        Array.Sort(logits);
        int b = calibration.Features.Shape[0];
        float threshold = logits[logits.Length - Math.Min(Config.Keep * b, logits.Length)];
        return new TokenPruner(Scorer, Config with { Threshold = threshold });
    }

    /// <summary>Writes pruner.json and pruner.safetensors into <paramref name="dir"/> (each atomically).</summary>
    public void Save(string dir)
    {
        Directory.CreateDirectory(dir);
        SafeTensors.Save(Path.Combine(dir, WeightsFile), Scorer.StateDict(), new Dictionary<string, string> { ["format"] = "diffprune-pruner" });
        AtomicFile.WriteAllText(Path.Combine(dir, ConfigFile), JsonSerializer.Serialize(Config, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Loads a pruner written by <see cref="Save"/>.</summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">The config is unreadable or the weights do not fit it (names the tensor).</exception>
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
        var scorer = new TokenScorer(config.VisionWidth, new Generator(0), config.Heads, config.Layers);
        var weights = Path.Combine(dir, WeightsFile);
        if (!File.Exists(weights)) throw new FileNotFoundException($"{dir} holds no {WeightsFile}", weights);
        scorer.LoadSafeTensors(weights);
        return new TokenPruner(scorer, config);
    }
}
