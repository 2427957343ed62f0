using DiffPrune.Models.Vlm;

namespace DiffPrune.Pruning;

/// <summary>
/// A visual-token pruning method set up for one VLM and one budget K: the hooks that run it (<see cref="IPruningHooks"/>:
/// a pre-LLM function on the visual tokens and/or in-LLM token droppers) and the labels of the paper's tables. Every
/// method decides per image, for any batch size and any N, deterministically (Random from its seeded stream), with the
/// image's place in the sequence taken from the input, never from a fixed offset. Build one by name with <see cref="Baselines.PruningMethods.Create"/>.
/// </summary>
public interface IPruningMethod : IPruningHooks
{
    /// <summary>Display name as in the tables ("FastV", "VisionZip", "DiffPrune").</summary>
    string Name { get; }

    /// <summary>Where it prunes, as in the tables: "Pre" (before the LLM), "L2", "L2–L32", "L8–L24" (layers of the actual LLM), "–" (nowhere).</summary>
    string Location { get; }

    /// <summary>The budget K: visual tokens per image (each method's documentation says how multi-stage methods count it).</summary>
    int Keep { get; }

    /// <summary>Whether its decision reads the text prompt (in-LLM methods read it from the LLM's own states).</summary>
    bool NeedsText { get; }
}
