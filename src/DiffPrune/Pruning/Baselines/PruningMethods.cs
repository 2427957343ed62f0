using DiffPrune.Models.Vlm;

namespace DiffPrune.Pruning.Baselines;

/// <summary>
/// Builds the compared methods by name for one VLM and one budget K, on the same footing: each reads only what its
/// published algorithm reads and its layers follow the LLM's depth. DiffPrune itself is a trained
/// <see cref="TokenPruner"/> (<see cref="TokenPruner.Load"/>), which is an <see cref="IPruningMethod"/> too.
/// </summary>
public static class PruningMethods
{
    static readonly (string Name, Func<IVisionLanguageModel, int, ulong, IPruningMethod> Build)[] Registry =
    [
        ("Vanilla", (vlm, _, _) => new Vanilla(vlm.MaxVisualTokens)),
        ("Random", (vlm, k, seed) => new RandomPruner(k, seed)),
        ("Uniform", (vlm, k, _) => new UniformPruner(k, Llava(vlm, "Uniform", "its lattice needs one token grid for every image").Config.Vision.GridSize)),
        ("VisionZip", (vlm, k, _) => new VisionZipPruner(k, Llava(vlm, "VisionZip", ReadsClsAttention).VisionTower.VisionModel)),
        ("DivPrune", (vlm, k, _) => new DivPrunePruner(k, (vlm as LlavaModel)?.Projector)),
        ("HoloV", (vlm, k, _) => new HoloVPruner(k, (vlm as LlavaModel)?.Projector)), // Qwen2.5-VL: global attention in a tower without CLS
        ("PruneSID", (vlm, k, _) =>
        {
            Llava(vlm, "PruneSID", ReadsClsAttention);
            return new PruneSidPruner(k);
        }),
        ("FastV", (vlm, k, _) => new FastVPruner(k, vlm.MaxVisualTokens, vlm.LanguageModel.Config.NumLayers)),
        ("DART", (vlm, k, _) => new DartPruner(k, vlm.MaxVisualTokens, vlm.LanguageModel.Config.NumLayers)),
        ("PyramidDrop", (vlm, k, _) => new PyramidDropPruner(k, vlm.MaxVisualTokens, vlm.LanguageModel.Config.NumLayers)),
        ("SparseVLM", (vlm, k, _) => new SparseVlmPruner(k, vlm.MaxVisualTokens, vlm.LanguageModel.Config.NumLayers)),
    ];

    const string ReadsClsAttention = "it reads a CLIP tower's CLS attention maps";

    /// <summary><paramref name="vlm"/> as the LLaVA model <paramref name="method"/> needs (DivPrune measures diversity on
    /// Qwen2.5-VL's merged tokens as they are, which are already in the LLM's space).</summary>
    /// <exception cref="ArgumentException">Another model: names the method, why, and what runs instead.</exception>
    static LlavaModel Llava(IVisionLanguageModel vlm, string method, string why) => vlm as LlavaModel ?? throw new ArgumentException(
        $"{method} runs on LLaVA models only ({why}); on {vlm.GetType().Name} use one that reads the visual tokens (DiffPrune, DivPrune, Random) " +
        "or the LLM (FastV, DART, PyramidDrop, SparseVLM: one K for every image)");

    /// <summary>The names <see cref="Create"/> knows, in table order (Vanilla first).</summary>
    public static IReadOnlyList<string> Names { get; } = Registry.Select(r => r.Name).ToArray();

    /// <summary>
    /// The method called <paramref name="name"/> (any case) for <paramref name="vlm"/> at budget K =
    /// <paramref name="keep"/> of its N visual tokens (LLaVA-NeXT: of the most an image can give; each image's own N is
    /// checked when it is pruned); <paramref name="seed"/> seeds Random. Vanilla keeps all N whatever K.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name (the message lists the known ones), or a method that does not run
    /// on this model (VisionZip, HoloV, PruneSID and Uniform on Qwen2.5-VL).</exception>
    /// <exception cref="ArgumentOutOfRangeException">K outside 1..N.</exception>
    public static IPruningMethod Create(string name, IVisionLanguageModel vlm, int keep, ulong seed = 0)
    {
        var entry = Registry.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));
        if (entry.Build == null)
            throw new ArgumentException($"unknown pruning method '{name}'; known: {string.Join(", ", Names)}", nameof(name));
        TokenBudget.Check(keep, vlm.MaxVisualTokens, nameof(keep));
        return entry.Build(vlm, keep, seed);
    }
}
