using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Pruning.Baselines;

namespace DiffPrune.Eval.Profiling;

/// <summary>
/// The registered baselines on Qwen2.5-VL's merged tokens, for a profile: N and the token grid are the image's
/// (<see cref="Qwen25WidthTarget"/>), not a CLIP tower's; the LLM's depth is read off the model a row is built on.
/// DivPrune measures diversity on the merged tokens as they are (they are already in the LLM's space). Methods that read
/// a CLIP tower's CLS attention maps (VisionZip, PruneSID) have no counterpart here: Qwen2.5-VL's tower has no CLS token.
/// HoloV runs on SceneBench Qwen-style models with the attention each token receives in the tower's last block instead
/// (<see cref="VisualTokens.GlobalAttention"/>); it is not profiled here, where that block's N × N map at 7B width would
/// be the largest buffer of the run.
/// </summary>
internal static class Qwen25Methods
{
    static readonly HashSet<string> ReadClsAttention = new(["VisionZip", "HoloV", "PruneSID"], StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether <paramref name="name"/> (a registered baseline) runs on Qwen2.5-VL.</summary>
    public static bool Supports(string name) => !ReadClsAttention.Contains(name);

    /// <summary>Those of <paramref name="names"/> that do not run on Qwen2.5-VL.</summary>
    public static IReadOnlyList<string> Unsupported(IEnumerable<string> names) => names.Where(n => !Supports(n)).ToArray();

    /// <summary>Vanilla on an image of <paramref name="target"/>'s N.</summary>
    public static ComparedMethod Vanilla(Qwen25WidthTarget target) => new(MethodSelection.Vanilla.Label, _ => new Vanilla(target.VisualTokens));

    /// <summary>The baseline <paramref name="name"/> at K = <paramref name="keep"/> of <paramref name="target"/>'s N, its depth that of the model it is built on.</summary>
    /// <exception cref="ArgumentException">A name that has no Qwen2.5-VL counterpart or is unknown.</exception>
    public static ComparedMethod At(string name, Qwen25WidthTarget target, int keep, ulong seed)
    {
        int n = target.VisualTokens, cols = target.Grid.MergedCols;
        Func<IVisionLanguageModel, IPruningMethod> build = name switch
        {
            "Random" => _ => new RandomPruner(keep, seed),
            "Uniform" => _ => new UniformPruner(keep, cols),
            "DivPrune" => _ => new DivPrunePruner(keep, null),
            "FastV" => vlm => new FastVPruner(keep, n, vlm.LanguageModel.Config.NumLayers),
            "DART" => vlm => new DartPruner(keep, n, vlm.LanguageModel.Config.NumLayers),
            "PyramidDrop" => vlm => new PyramidDropPruner(keep, n, vlm.LanguageModel.Config.NumLayers),
            "SparseVLM" => vlm => new SparseVlmPruner(keep, n, vlm.LanguageModel.Config.NumLayers),
            _ => throw new ArgumentException($"{name} has no Qwen2.5-VL counterpart in the profile (it reads a CLIP tower's CLS attention, or is unknown)"),
        };
        return new ComparedMethod(name, build);
    }
}
