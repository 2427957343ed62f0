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
/// <param name="KeepRate">The kept rate it was trained at when every image kept its own K_i = round(rate × N_i) (a
/// native-resolution model; <paramref name="Keep"/> is then that rate of a typical image); null when trained at one K.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record TokenPrunerConfig(int VisionWidth, int Heads, int Layers, int Keep, CalibratedThreshold? Threshold = null, double? KeepRate = null);

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

    /// <summary>The training denoiser, kept after the gather; null in the paper's deployment (Eq. 3), which removes it.</summary>
    public Denoiser? Denoiser { get; }

    /// <summary>A pruner from a (trained) scorer keeping <paramref name="config"/>.Keep tokens or, in threshold
    /// <paramref name="mode"/>, the tokens that reach <paramref name="config"/>.Threshold; with <paramref name="denoiser"/>,
    /// the kept tokens pass through it before the projector ("DiffPrune + denoiser", not the paper's deployment).</summary>
    /// <exception cref="ArgumentException">Threshold mode without a threshold, or an unusable threshold.</exception>
    public TokenPruner(TokenScorer scorer, TokenPrunerConfig config, BudgetMode mode = BudgetMode.TopK, Denoiser? denoiser = null)
        : base((mode == BudgetMode.Threshold ? "DiffPrune (threshold)" : "DiffPrune") + (denoiser != null ? " + denoiser" : ""), KeepIn(config, mode))
    {
        config.Threshold?.Check();
        Scorer = scorer;
        Config = config;
        Mode = mode;
        Denoiser = denoiser;
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
        keep == Config.Keep && Mode == BudgetMode.TopK ? this : new TokenPruner(Scorer, Config with { Keep = keep }, denoiser: Denoiser);

    /// <summary>The same scorer in threshold mode with <paramref name="threshold"/> (stored in its config).</summary>
    /// <exception cref="ArgumentException">An unusable threshold.</exception>
    public TokenPruner WithThreshold(CalibratedThreshold threshold) => new(Scorer, Config with { Threshold = threshold.Check() }, BudgetMode.Threshold, Denoiser);

    /// <summary>The same scorer in threshold mode with the threshold its config holds.</summary>
    /// <exception cref="ArgumentException">The config holds none.</exception>
    public TokenPruner InThresholdMode() => Mode == BudgetMode.Threshold ? this : new(Scorer, Config, BudgetMode.Threshold, Denoiser);

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
        var kept = tokens.Select(KeptIndices(Logits(tokens)));
        return Denoiser == null ? kept : kept with { Features = Denoiser.Forward(kept.Features) };
    }

    /// <summary>
    /// Keeps, in original order, the K_i = round(<paramref name="rate"/> × N_i) highest-scoring tokens of each image
    /// (<see cref="TokenBudget.FromRate(double, int)"/>), N_i its own token count (<see cref="VisualTokens.CountOf"/>): images
    /// of different sizes are scored together in one padded batch, padded keys masked, each as it would be alone. The
    /// result is padded too (each image its own K_i; its patch index says where each kept token goes). Always top-K, whatever <see cref="Mode"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A rate outside (0, 1].</exception>
    /// <exception cref="ArgumentException">Features of another width than the scorer's.</exception>
    public VisualTokens PruneAtRate(VisualTokens tokens, double rate)
    {
        var lengths = Enumerable.Range(0, tokens.PatchIndex.Length).Select(tokens.CountOf).ToArray();
        var kept = tokens.Select(KeptIndices(tokens.Features, RaggedBudget.FromRate(rate, lengths)));
        if (Denoiser == null) return kept;
        using var _ = Autograd.NoGrad();
        return kept with { Features = Denoiser.Forward(kept.Features, kept.PatchIndex.Select(p => p.Length).ToArray()) };
    }

    /// <summary>
    /// The pre-LLM hooks of <see cref="PruneAtRate"/> at <paramref name="rate"/>, for a VLM's inference path: each image keeps
    /// round(rate × N_i) of its own tokens, in a batch of images of different sizes too.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A rate outside (0, 1].</exception>
    public IPruningHooks AtRate(double rate)
    {
        _ = TokenBudget.FromRate(rate, 1); // a bad rate is refused here, not at the first image
        return PruningHooks.Before(tokens => PruneAtRate(tokens, rate));
    }

    /// <summary>
    /// Per image of a padded batch of <paramref name="features"/> (B, N_max, d_v), row i's first <paramref name="budget"/>.Lengths[i]
    /// real, the indices (ascending, original order) of its Keep[i] highest-scoring tokens: where a VLM places them.
    /// </summary>
    /// <exception cref="ArgumentException">Features of another width than the scorer's, or a budget that does not fit them.</exception>
    public int[][] KeptIndices(Tensor features, RaggedBudget budget)
    {
        if (features.Rank != 3 || features.Shape[2] != Config.VisionWidth)
            throw new ArgumentException($"pruner scores features (B, N_max, {Config.VisionWidth}), got {features.Describe()}");
        budget.Check(features.Shape[0], features.Shape[1]);
        using var _ = Autograd.NoGrad();
        return HardTopK.Indices(Scorer.Forward(features, budget.Lengths), budget);
    }

    int[][] KeptIndices(Tensor logits)
    {
        if (Mode == BudgetMode.TopK) return HardTopK.Indices(logits, Config.Keep);
        double threshold = Config.Threshold!.Value;
        return ThresholdScores(logits).Select(z =>
        {
            var kept = Enumerable.Range(0, z.Length).Where(j => z[j] >= threshold).ToArray();
            return kept.Length > 0 ? kept : [Array.IndexOf(z, z.Max())];
        }).ToArray();
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
    /// <exception cref="InvalidDataException">
    /// The config is unreadable, has an unknown or missing key or an unusable value (a threshold included), or the weights
    /// do not fit it (checked against the weights' header before the scorer is built; names the tensor).
    /// </exception>
    /// <exception cref="ResourceLimitException">The scorer needs more memory than the machine has.</exception>
    /// <param name="dir">The pruner folder.</param>
    /// <param name="withDenoiser">Also load the training denoiser stored beside it (<see cref="Denoiser.FileName"/>) and keep it after the gather.</param>
    public static TokenPruner Load(string dir, bool withDenoiser = false)
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
        return new TokenPruner(scorer, config, denoiser: withDenoiser ? Denoiser.Load(Path.Combine(dir, Denoiser.FileName), config.VisionWidth) : null);
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
            throw new InvalidDataException($"{path} is not a pruner config: {e.Message} (keys: VisionWidth, Heads, Layers, Keep, Threshold, KeepRate)");
        }
        string? problem = config switch
        {
            { VisionWidth: < 1 or > MaxWidth } => $"VisionWidth {config.VisionWidth} is outside 1..{MaxWidth}",
            { Layers: < 1 or > MaxLayers } => $"Layers {config.Layers} is outside 1..{MaxLayers}",
            { Heads: < 1 } => $"Heads {config.Heads} must be at least 1",
            _ when config.VisionWidth % config.Heads != 0 => $"VisionWidth {config.VisionWidth} is not divisible by Heads {config.Heads}",
            { Keep: < 1 } => $"Keep {config.Keep} must be at least 1",
            { KeepRate: { } rate } when !(rate > 0 && rate <= 1) => $"KeepRate {rate} is outside (0, 1]",
            _ => null,
        };
        if (problem != null) throw new InvalidDataException($"{path}: {problem}: give the pruner.json diffprune train writes");
        try
        {
            config.Threshold?.Check();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}; calibrate it again (diffprune train --budget-mode threshold)");
        }
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
