namespace DiffPrune.Pruning;

/// <summary>
/// Maps the layers in-LLM methods published for Vicuna-7B (32 layers) to the depth of the LLM at hand, and names
/// them as the paper's tables do. A dropper at layer ℓ is the first layer without the dropped tokens (0-based), so it
/// lies in 1..L−1: the first layer always sees every token.
/// </summary>
internal static class LlmLayers
{
    /// <summary>Depth of the LLM the published layer choices were made for (LLaVA-1.5's Vicuna-7B).</summary>
    public const int PublishedDepth = 32;

    /// <summary>Published layer ℓ of 32 at depth L: round(ℓ·L/32), ties away from zero.</summary>
    public static int Scale(int publishedLayer, int depth) =>
        (int)Math.Round((double)publishedLayer * depth / PublishedDepth, MidpointRounding.AwayFromZero);

    /// <summary><paramref name="layer"/> clamped into 1..L−1, where a dropper can act.</summary>
    public static int Clamp(int layer, int depth) => Math.Clamp(layer, 1, depth - 1);

    /// <summary>"L2" for one layer, "L8–L24" for a range.</summary>
    public static string Range(int first, int last) => first == last ? $"L{first}" : $"L{first}–L{last}";
}
