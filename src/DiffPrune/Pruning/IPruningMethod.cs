using DiffPrune.Models.Llama;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;

namespace DiffPrune.Pruning;

/// <summary>
/// A visual-token pruning method set up for one VLM and one budget K: the hooks that run it (a pre-LLM function on the
/// visual tokens and/or in-LLM token droppers) and the labels of the paper's tables. Every method decides per image,
/// for any batch size and any N, deterministically (Random from its seeded stream), with the image's place in the
/// sequence taken from the input, never from a fixed offset. Build one by name with <see cref="Baselines.PruningMethods.Create"/>.
/// </summary>
public interface IPruningMethod
{
    /// <summary>Display name as in the tables ("FastV", "VisionZip", "DiffPrune").</summary>
    string Name { get; }

    /// <summary>Where it prunes, as in the tables: "Pre" (before the LLM), "L2", "L2–L32", "L8–L24" (layers of the actual LLM), "–" (nowhere).</summary>
    string Location { get; }

    /// <summary>The budget K: visual tokens per image (each method's documentation says how multi-stage methods count it).</summary>
    int Keep { get; }

    /// <summary>Whether it reads the vision tower's attention maps: encode with attentions (<see cref="LlavaModel.Prepare"/>'s outputVisionAttentions).</summary>
    bool NeedsVisionAttentions { get; }

    /// <summary>Whether its decision reads the text prompt (in-LLM methods read it from the LLM's own states).</summary>
    bool NeedsText { get; }

    /// <summary>The pre-LLM hook (<see cref="LlavaModel.Prepare"/>'s preLlm), or null.</summary>
    Func<VisualTokens, VisualTokens>? PreLlm { get; }

    /// <summary>The in-LLM stages (<see cref="DecoderInput.Droppers"/>), one per layer; empty for pre-LLM methods.</summary>
    IReadOnlyList<ITokenDropper> Droppers { get; }
}

/// <summary>Running a method on a VLM.</summary>
public static class PruningMethodExtensions
{
    /// <summary>The decoder input of <paramref name="vlm"/> for these images and texts with <paramref name="method"/>'s hooks in place (for a forward pass or generation).</summary>
    public static DecoderInput Prepare(this IPruningMethod method, LlavaModel vlm, Tensor pixels, int[][] textIds) =>
        vlm.Prepare(pixels, textIds, method.PreLlm, method.NeedsVisionAttentions) with { Droppers = method.Droppers };
}
