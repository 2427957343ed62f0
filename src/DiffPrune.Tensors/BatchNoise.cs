namespace DiffPrune.Tensors;

/// <summary>
/// The noise of rows <see cref="First"/> … of a batch of <see cref="Total"/> rows, as one process drawing the noise of the
/// whole batch from <see cref="Generator"/> would give them to those rows. A data-parallel rank that computes a share of
/// a batch thus sees the very noise a single process sees for the same samples. A generator converts to the whole batch.
/// </summary>
/// <remarks>A share draws the whole batch and keeps its rows: the draws are cheap next to what is done with them, and the
/// generator ends where a single process's ends.</remarks>
public sealed class BatchNoise
{
    /// <summary>The generator every draw comes from.</summary>
    public Generator Generator { get; }

    /// <summary>The first row of the share in the batch.</summary>
    public int First { get; }

    /// <summary>Rows of the whole batch; null when the share is the whole batch, whatever its size.</summary>
    public int? Total { get; }

    /// <summary>
    /// Slots per row of the whole batch (its second dimension, N_max of a padded batch of token rows); null when a draw's own
    /// second dimension is the batch's. With it, a share of fewer slots gets the first slots of its rows of the batch's noise:
    /// an image run alone sees the noise it sees padded among longer ones.
    /// </summary>
    public int? Slots { get; }

    /// <summary>Rows <paramref name="first"/> … of a batch of <paramref name="total"/> rows (null: the whole batch), each
    /// row's first slots of <paramref name="slots"/> (null: all of them).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A first row outside the batch, or slots below 1.</exception>
    public BatchNoise(Generator generator, int first = 0, int? total = null, int? slots = null)
    {
        if (first < 0 || (total is int t && first > t) || (total == null && first != 0))
            throw new ArgumentOutOfRangeException(nameof(first), $"first row {first} is outside a batch of {total?.ToString() ?? "any"} rows");
        if (slots < 1) throw new ArgumentOutOfRangeException(nameof(slots), $"a batch row holds at least 1 slot (got {slots})");
        Generator = generator;
        First = first;
        Total = total;
        Slots = slots;
    }

    /// <summary>The whole batch, drawn from <paramref name="generator"/>.</summary>
    public static implicit operator BatchNoise(Generator generator) => new(generator);

    /// <summary>Standard normal noise of <paramref name="shape"/>, whose first dimension counts the share's rows.</summary>
    public Tensor Normal(int[] shape) => Rows(shape, whole => Tensor.Randn(Generator, whole));

    /// <summary>Standard Gumbel noise of <paramref name="shape"/>, whose first dimension counts the share's rows.</summary>
    public Tensor Gumbel(int[] shape) => Rows(shape, whole => Tensor.RandGumbel(Generator, whole));

    Tensor Rows(int[] shape, Func<int[], Tensor> draw)
    {
        if (Total is null && Slots is null) return draw(shape);
        int total = Total ?? (shape.Length > 0 ? shape[0] : 0);
        int slots = Slots ?? (shape.Length > 1 ? shape[1] : 0);
        if (shape.Length == 0 || First + shape[0] > total || (Slots != null && (shape.Length < 2 || shape[1] > slots)))
            throw new ArgumentException($"noise of shape [{string.Join(", ", shape)}] does not fit rows {First}.. of a batch of {total}" +
                (Slots != null ? $" rows of {slots} slots" : ""));
        var all = shape.Length > 1 ? draw([total, slots, .. shape[2..]]) : draw([total]);
        var rows = shape[0] == total ? all : all.Slice(0, First, First + shape[0]);
        return shape.Length < 2 || shape[1] == slots ? rows : rows.Slice(1, 0, shape[1]);
    }
}
