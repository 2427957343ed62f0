namespace DiffPrune.Pruning;

/// <summary>
/// Token counts and budgets of a padded batch of images with different numbers of visual tokens (native-resolution
/// backbones such as Qwen2.5-VL): image i holds <see cref="Lengths"/>[i] real tokens in the first slots of its row of a
/// (B, N_max, ·) tensor, the rest padding, and keeps <see cref="Keep"/>[i] of them.
/// </summary>
/// <param name="Lengths">N_i per image, each at least 1.</param>
/// <param name="Keep">K_i per image, each in 1..N_i (K_i = N_i keeps the whole image: α = 1 on every real token).</param>
public sealed record RaggedBudget(int[] Lengths, int[] Keep)
{
    /// <summary>Images in the batch.</summary>
    public int Count => Lengths.Length;

    /// <summary>The slots a padded row needs: the largest N_i.</summary>
    public int Slots => Lengths.Max();

    /// <summary>Every one of <paramref name="batch"/> images holds <paramref name="tokens"/> tokens and keeps <paramref name="keep"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">K outside 1..N.</exception>
    public static RaggedBudget Uniform(int batch, int tokens, int keep)
    {
        TokenBudget.Check(keep, tokens);
        return new(Enumerable.Repeat(tokens, batch).ToArray(), Enumerable.Repeat(keep, batch).ToArray());
    }

    /// <summary>Images of <paramref name="lengths"/> tokens each keeping K_i = round(<paramref name="rate"/> × N_i)
    /// (<see cref="TokenBudget.FromRate(double, int)"/>): the paper's budget for native-resolution images.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A rate outside (0, 1], or a length below 1.</exception>
    public static RaggedBudget FromRate(double rate, IReadOnlyList<int> lengths) =>
        new(lengths.ToArray(), TokenBudget.FromRate(rate, lengths));

    /// <summary>Checks the budget against a padded batch of <paramref name="batch"/> rows of <paramref name="slots"/> slots.</summary>
    /// <exception cref="ArgumentException">Another number of images, a length outside 1..slots or a K outside 1..N_i (named).</exception>
    public RaggedBudget Check(int batch, int slots)
    {
        if (Lengths.Length != batch || Keep.Length != batch)
            throw new ArgumentException($"{Lengths.Length} token counts and {Keep.Length} budgets for a batch of {batch} images: give one of each per image");
        for (int i = 0; i < batch; i++)
        {
            if (Lengths[i] < 1 || Lengths[i] > slots)
                throw new ArgumentException($"image {i} holds N = {Lengths[i]} tokens in a row of {slots} slots: N must be in 1..{slots}");
            if (Keep[i] < 1 || Keep[i] > Lengths[i])
                throw new ArgumentException($"image {i} keeps K = {Keep[i]} of N = {Lengths[i]} tokens: K must be in 1..N");
        }
        return this;
    }

    /// <summary>(B·slots) flags, row-major: whether each slot of a row holds a real token (the key-padding mask's layout).</summary>
    public bool[] ValidSlots(int slots) => KeyPadding.ValidSlots(Lengths, Lengths.Length, slots);

    /// <summary>Per image, its real tokens' slots 0..N_i−1 (the patch index of unpruned tokens).</summary>
    public int[][] AllTokens() => Lengths.Select(n => Enumerable.Range(0, n).ToArray()).ToArray();

    /// <summary>Whether every image holds <paramref name="slots"/> tokens (no padding).</summary>
    public bool IsDense(int slots) => Lengths.All(n => n == slots);
}
