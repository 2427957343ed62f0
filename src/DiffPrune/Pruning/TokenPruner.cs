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
    /// <exception cref="InvalidDataException">
    /// The config is unreadable, has an unknown or missing key or an invalid value, or the weights do not fit it (checked
    /// against the weights' header before the scorer is built; names the tensor).
    /// </exception>
    /// <exception cref="ResourceLimitException">The scorer needs more memory than the machine has.</exception>
    public static TokenPruner Load(string dir)
    {
        var configPath = Path.Combine(dir, ConfigFile);
        if (!File.Exists(configPath) && !Directory.Exists(configPath)) throw new FileNotFoundException($"{dir} holds no {ConfigFile}: not a pruner folder", configPath);
        var config = ReadConfig(configPath);
        var weights = Path.Combine(dir, WeightsFile);
        if (!File.Exists(weights) && !Directory.Exists(weights)) throw new FileNotFoundException($"{dir} holds no {WeightsFile}", weights);
        using var file = SafeTensorsFile.Open(weights);
        long parameters = TokenScorer.ParameterCountOf(config.VisionWidth, config.Layers);
        long stored = file.Names.Sum(n => file.ShapeOf(n).Aggregate(1L, (a, b) => a * b));
        // far more than the weights hold is refused before building; a near miss is built, and the strict load names the tensors
        if (parameters > 2 * stored + (1 << 20))
        {
            string width = file.Contains("norm.weight") ? $" (its norm.weight is {ShapeUtil.Format(file.ShapeOf("norm.weight"))})" : "";
            throw new InvalidDataException($"{configPath} describes a scorer of {parameters:N0} parameters (width {config.VisionWidth}, {config.Layers} layers) " +
                $"but {WeightsFile} holds {stored:N0}{width}: the config and the weights are of different pruners");
        }
        MemoryBudget.Require(checked(4 * parameters), $"pruner {dir} ({parameters:N0} parameters)", "use a smaller pruner or a machine with more memory");
        var scorer = new TokenScorer(config.VisionWidth, new Generator(0), config.Heads, config.Layers);
        scorer.LoadSafeTensors([file], strict: true, weights);
        return new TokenPruner(scorer, config);
    }

    /// <summary>The largest scorer width and depth a pruner.json may declare (LLaVA's d_v is 1,024; the paper uses 2 blocks).</summary>
    const int MaxWidth = 65536, MaxLayers = 1024;

    /// <summary>Reads pruner.json strictly: every key known and present once, every value valid (a misspelled
    /// "Threshold" would otherwise silently give top-K).</summary>
    static TokenPrunerConfig ReadConfig(string path)
    {
        InputFile.CheckRegular(path, ConfigFile);
        if (new FileInfo(path).Length > 1 << 16) throw new InvalidDataException($"{path} is {new FileInfo(path).Length:N0} bytes; a {ConfigFile} is a few hundred: give the pruner folder's own");
        TokenPrunerConfig config;
        try
        {
            config = JsonSerializer.Deserialize<TokenPrunerConfig>(File.ReadAllText(path), StrictJson)
                ?? throw new InvalidDataException($"{path} is not a pruner config: it holds null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a pruner config: {e.Message} (keys: VisionWidth, Heads, Layers, Keep, Threshold)");
        }
        string? problem = config switch
        {
            { VisionWidth: < 1 or > MaxWidth } => $"VisionWidth {config.VisionWidth} is outside 1..{MaxWidth}",
            { Layers: < 1 or > MaxLayers } => $"Layers {config.Layers} is outside 1..{MaxLayers}",
            { Heads: < 1 } => $"Heads {config.Heads} must be at least 1",
            _ when config.VisionWidth % config.Heads != 0 => $"VisionWidth {config.VisionWidth} is not divisible by Heads {config.Heads}",
            { Keep: < 1 } => $"Keep {config.Keep} must be at least 1",
            { Threshold: float t } when !float.IsFinite(t) => $"Threshold {t} is not a finite number",
            _ => null,
        };
        if (problem != null) throw new InvalidDataException($"{path}: {problem}: give the pruner.json diffprune train writes");
        return config;
    }

    static readonly JsonSerializerOptions StrictJson = new()
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        RespectRequiredConstructorParameters = true,
        AllowDuplicateProperties = false,
        MaxDepth = 8,
    };
}
