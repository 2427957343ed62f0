using System.Text.Json;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tensors.IO;

namespace DiffPrune.Pruning;

/// <summary>What a deployable pruner needs to rebuild itself: the scorer's shape and the budget.</summary>
/// <param name="VisionWidth">d_v of the features it scores.</param>
/// <param name="Heads">Scorer attention heads.</param>
/// <param name="Layers">Scorer encoder blocks.</param>
/// <param name="Keep">Tokens kept per image (K).</param>
public sealed record TokenPrunerConfig(int VisionWidth, int Heads, int Layers, int Keep);

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



    /// <summary>A pruner from a (trained) scorer keeping <paramref name="config"/>.Keep tokens.</summary>
    public TokenPruner(TokenScorer scorer, TokenPrunerConfig config) : base("DiffPrune", config.Keep)
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

    /// <summary>Keeps the K highest-scoring tokens of each image, in original order.</summary>
    /// <exception cref="ArgumentOutOfRangeException">K exceeds the tokens there are.</exception>
    /// <exception cref="ArgumentException">Features of another width than the scorer's.</exception>
    public override VisualTokens Prune(VisualTokens tokens)
    {
        if (tokens.Features.Shape[2] != Config.VisionWidth)
            throw new ArgumentException($"pruner scores features of width {Config.VisionWidth}, got {tokens.Features.Describe()}");
        TokenBudget.Check(Config.Keep, tokens.Count, nameof(tokens));
        using var _ = Autograd.NoGrad();
        return tokens.Select(HardTopK.Indices(Scorer.Forward(tokens.Features), Config.Keep));
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
