using DiffPrune.Tensors;

namespace DiffPrune.Pruning;

/// <summary>The attention mask that hides the padded slots of a batch of token rows of different lengths.</summary>
static class KeyPadding
{
    /// <summary>
    /// For tokens (B, N_max, d) whose row i holds <paramref name="lengths"/>[i] real tokens first: a key-padding mask (built
    /// once, shared by every block), or null when no row is padded, so that a full batch runs exactly as without lengths.
    /// </summary>
    /// <exception cref="ArgumentException">Tokens not (B, N_max, d), or a length outside 1..N_max (named).</exception>
    public static AttentionMask? Of(Tensor tokens, IReadOnlyList<int> lengths)
    {
        if (tokens.Rank != 3) throw new ArgumentException($"a padded batch needs tokens (B, N_max, d); got {tokens.Describe()}", nameof(tokens));
        int b = tokens.Shape[0], slots = tokens.Shape[1];
        var valid = ValidSlots(lengths, b, slots);
        return lengths.All(n => n == slots) ? null : AttentionMask.KeyPadding(valid, b).Cached();
    }

    /// <summary>
    /// (B·slots) flags, row-major: whether each slot of a row holds a real token, row i holding <paramref name="lengths"/>[i]
    /// real tokens first (the key-padding mask's layout). The one place a padded batch's lengths become its real slots.
    /// </summary>
    /// <exception cref="ArgumentException">Not one length per row, or a length outside 1..slots (named).</exception>
    public static bool[] ValidSlots(IReadOnlyList<int> lengths, int batch, int slots)
    {
        if (lengths.Count != batch) throw new ArgumentException($"{lengths.Count} token counts for a batch of {batch} rows: give one per row", nameof(lengths));
        var valid = new bool[batch * slots];
        for (int i = 0; i < batch; i++)
        {
            if (lengths[i] < 1 || lengths[i] > slots)
                throw new ArgumentException($"row {i} holds N = {lengths[i]} tokens in {slots} slots: N must be in 1..{slots}", nameof(lengths));
            valid.AsSpan(i * slots, lengths[i]).Fill(true);
        }
        return valid;
    }
}
