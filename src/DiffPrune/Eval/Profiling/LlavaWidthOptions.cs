namespace DiffPrune.Eval.Profiling;

/// <summary>How much of a 7B VLM a 7B-width profile builds and times (<see cref="LlavaWidthProfiler"/> for LLaVA-1.5 and
/// LLaVA-NeXT, <see cref="Qwen25WidthProfiler"/> for Qwen2.5-VL; the same knobs for each).</summary>
/// <param name="DecoderLayers">Decoder layers of the target's width held in memory, where in-LLM decisions are timed: 4 lets
/// every registered in-LLM method place each of its stages (PyramidDrop's and SparseVLM's three).</param>
/// <param name="VisionLayers">Vision layers built (≥ 2). CLIP ViT-L/14-336: the feature layer is the second-to-last, so one
/// fewer is computed, and encoding time is scaled to the 23 layers LLaVA computes; Qwen2.5-VL: blocks, the last one
/// attending over the whole image, scaled to the tower's 32.</param>
/// <param name="TextTokens">Tokens besides the visual ones, BOS included: 64 gives the paper's 8.89 T FLOPs unpruned.</param>
/// <param name="Runs">Timed runs per part (a Vicuna-7B layer takes seconds on a CPU).</param>
/// <param name="Warmup">Untimed runs before them.</param>
/// <param name="Seed">Seed of the random weights and inputs.</param>
public sealed record LlavaWidthOptions(int DecoderLayers = 4, int VisionLayers = 2, int TextTokens = 64, int Runs = 3, int Warmup = 1, ulong Seed = 0)
{
    /// <summary>Throws unless every field is usable (names it).</summary>
    public LlavaWidthOptions Validate()
    {
        if (DecoderLayers < 2) throw new ArgumentException($"7B-width profiling needs at least 2 decoder layers (in-LLM methods drop from layer 1 on); got {DecoderLayers}");
        if (VisionLayers < 2) throw new ArgumentException($"7B-width profiling needs at least 2 vision layers (features come from the second-to-last); got {VisionLayers}");
        if (TextTokens < 2) throw new ArgumentException($"7B-width profiling needs at least 2 text tokens (BOS and a question token); got {TextTokens}");
        if (Runs < 1 || Warmup < 0) throw new ArgumentException($"7B-width profiling needs runs ≥ 1 and warm-up ≥ 0; got {Runs} and {Warmup}");
        return this;
    }
}
