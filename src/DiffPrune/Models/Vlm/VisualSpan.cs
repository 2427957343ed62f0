namespace DiffPrune.Models.Vlm;

/// <summary>
/// The positions an image occupies in the language model's input before pruning: <paramref name="Length"/> of them,
/// counted from the image token's slot, of which <paramref name="Newlines"/> (ascending) hold the learned
/// <c>image_newline</c> token (LLaVA-NeXT) and every other one a visual token. Pruning removes visual tokens only;
/// newlines stay at their positions and text after the image keeps position start + Length, as if nothing were pruned.
/// </summary>
/// <param name="Length">Positions the unpruned image spans (LLaVA-1.5: N).</param>
/// <param name="Newlines">Positions (0-based inside the span) of newline tokens; empty for LLaVA-1.5.</param>
public sealed record VisualSpan(int Length, int[] Newlines)
{
    /// <summary>A span of <paramref name="tokens"/> visual tokens and no newline (LLaVA-1.5).</summary>
    public static VisualSpan Plain(int tokens) => new(tokens, []);

    /// <summary>Equal length and the same newline positions (a record would compare the array by reference).</summary>
    public bool Equals(VisualSpan? other) => other is not null && Length == other.Length && Newlines.AsSpan().SequenceEqual(other.Newlines);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Length, Newlines.Length);
}
