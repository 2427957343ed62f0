using DiffPrune.Models.Vision;
using DiffPrune.Tensors;

namespace DiffPrune.Models.Vlm;

/// <summary>
/// Where an image's unpruned visual tokens go, known from its size alone: each token's patch index (as
/// <see cref="VisualTokens.PatchIndex"/>), and what places the image in a prompt (a LLaVA-NeXT span, or a Qwen2.5-VL
/// merged grid; null where the model has none). What a rank that did not encode an image needs to use its features.
/// </summary>
/// <param name="PatchIndex">Per token, its patch index, ascending.</param>
/// <param name="Span">The image's span in the LLM input (LLaVA-NeXT), else null.</param>
/// <param name="Grid">The image's merged grid (Qwen2.5-VL), else null.</param>
public sealed record TokenPlacement(int[] PatchIndex, VisualSpan? Span = null, Qwen25PatchGrid? Grid = null)
{
    /// <summary>Unpruned tokens of <paramref name="features"/> (B, N_max, d), row i placed as <paramref name="placements"/>[i]
    /// (its first PatchIndex.Length slots real, the rest padding).</summary>
    public static VisualTokens Tokens(Tensor features, IReadOnlyList<TokenPlacement> placements) =>
        new(features, placements.Select(p => p.PatchIndex).ToArray(), null)
        {
            Spans = placements.All(p => p.Span != null) ? placements.Select(p => p.Span!).ToArray() : null,
            Grids = placements.All(p => p.Grid != null) ? placements.Select(p => p.Grid!).ToArray() : null,
        };
}
