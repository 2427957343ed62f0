namespace DiffPrune.Models.Vlm;

/// <summary>
/// Several turns about one image packed into one sample (per text token a segment: 0 = seen by all later tokens, s &gt; 0 =
/// turn s): a turn sees the shared tokens before it and itself, and its positions continue from the shared tokens as if it
/// were the only turn, so that a packed turn computes exactly what it would alone. What every VLM's input builder shares.
/// </summary>
static class PackedTurns
{
    /// <summary>The segments of a text of <paramref name="length"/> tokens whose image token is at <paramref name="slot"/>
    /// (none given: one turn, all 0), checked.</summary>
    /// <exception cref="ArgumentException">Segments of another length, negative, or not 0 up to the image token.</exception>
    public static int[] Of(int[]? segments, int length, int slot, int sample)
    {
        if (segments == null) return new int[length];
        if (segments.Length != length || segments.Any(s => s < 0) || segments[..(slot + 1)].Any(s => s != 0))
            throw new ArgumentException($"segments of sample {sample} must give each of its {length} text tokens a segment ≥ 0, and 0 up to the image token");
        return segments;
    }

    /// <summary>Positions of the text after the image: shared tokens count on from <paramref name="start"/>; each turn
    /// continues from the shared tokens before it, as if no other turn were there.</summary>
    public static void PlaceAfterImage(Span<int> pos, ReadOnlySpan<int> segment, int start)
    {
        int shared = 0;
        var within = new Dictionary<int, int>();
        for (int j = 0; j < pos.Length; j++)
        {
            if (segment[j] == 0) { pos[j] = start + shared++; continue; }
            within.TryGetValue(segment[j], out int m);
            pos[j] = start + shared + m;
            within[segment[j]] = m + 1;
        }
    }
}
