using DiffPrune.Models.Vlm;

namespace DiffPrune.Pruning.Baselines;

/// <summary>
/// Builds the compared methods by name for one VLM and one budget K, on the same footing: each reads only what its
/// published algorithm reads and its layers follow the LLM's depth. DiffPrune itself is a trained
/// <see cref="TokenPruner"/> (<see cref="TokenPruner.Load"/>), which is an <see cref="IPruningMethod"/> too.
/// </summary>
public static class PruningMethods
{
    static readonly (string Name, Func<LlavaModel, int, ulong, IPruningMethod> Build)[] Registry =
    [
        ("Vanilla", (vlm, _, _) => new Vanilla(vlm.Config.MaxVisualTokens)),
        ("Random", (vlm, k, seed) => new RandomPruner(k, seed)),
        ("Uniform", (vlm, k, _) => new UniformPruner(k, vlm.Config.Vision.GridSize)),
        ("VisionZip", (vlm, k, _) => new VisionZipPruner(k, vlm.VisionTower.VisionModel)),
        ("DivPrune", (vlm, k, _) => new DivPrunePruner(k, vlm.Projector)),
        ("HoloV", (vlm, k, _) => new HoloVPruner(k, vlm.Projector)),
        ("PruneSID", (vlm, k, _) => new PruneSidPruner(k)),
        ("FastV", (vlm, k, _) => new FastVPruner(k, vlm.Config.MaxVisualTokens, vlm.Config.Text.NumLayers)),
        ("DART", (vlm, k, _) => new DartPruner(k, vlm.Config.MaxVisualTokens, vlm.Config.Text.NumLayers)),
        ("PyramidDrop", (vlm, k, _) => new PyramidDropPruner(k, vlm.Config.MaxVisualTokens, vlm.Config.Text.NumLayers)),
        ("SparseVLM", (vlm, k, _) => new SparseVlmPruner(k, vlm.Config.MaxVisualTokens, vlm.Config.Text.NumLayers)),
    ];

    /// <summary>The names <see cref="Create"/> knows, in table order (Vanilla first).</summary>
    public static IReadOnlyList<string> Names { get; } = Registry.Select(r => r.Name).ToArray();

    /// <summary>
    /// The method called <paramref name="name"/> (any case) for <paramref name="vlm"/> at budget K =
    /// <paramref name="keep"/> of its N visual tokens (LLaVA-NeXT: of the most an image can give; each image's own N is
    /// checked when it is pruned); <paramref name="seed"/> seeds Random. Vanilla keeps all N whatever K.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name (the message lists the known ones).</exception>
    /// <exception cref="ArgumentOutOfRangeException">K outside 1..N.</exception>
    public static IPruningMethod Create(string name, LlavaModel vlm, int keep, ulong seed = 0)
    {
        var entry = Registry.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));
        if (entry.Build == null)
            throw new ArgumentException($"unknown pruning method '{name}'; known: {string.Join(", ", Names)}", nameof(name));
        TokenBudget.Check(keep, vlm.Config.MaxVisualTokens, nameof(keep));
        return entry.Build(vlm, keep, seed);
    }
}
