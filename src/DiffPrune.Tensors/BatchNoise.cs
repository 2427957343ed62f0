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

    /// <summary>Rows <paramref name="first"/> … of a batch of <paramref name="total"/> rows (null: the whole batch).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A first row outside the batch.</exception>
    public BatchNoise(Generator generator, int first = 0, int? total = null)
    {
        if (first < 0 || (total is int t && first > t) || (total == null && first != 0))
            throw new ArgumentOutOfRangeException(nameof(first), $"first row {first} is outside a batch of {total?.ToString() ?? "any"} rows");
        Generator = generator;
        First = first;
        Total = total;
    }

    /// <summary>The whole batch, drawn from <paramref name="generator"/>.</summary>
    public static implicit operator BatchNoise(Generator generator) => new(generator);

    /// <summary>Standard normal noise of <paramref name="shape"/>, whose first dimension counts the share's rows.</summary>
    public Tensor Normal(int[] shape) => Rows(shape, whole => Tensor.Randn(Generator, whole));

    /// <summary>Standard Gumbel noise of <paramref name="shape"/>, whose first dimension counts the share's rows.</summary>
    public Tensor Gumbel(int[] shape) => Rows(shape, whole => Tensor.RandGumbel(Generator, whole));

    Tensor Rows(int[] shape, Func<int[], Tensor> draw)
    {
        if (Total is not int total) return draw(shape);
        if (shape.Length == 0 || First + shape[0] > total)
            throw new ArgumentException($"noise of shape [{string.Join(", ", shape)}] does not fit rows {First}.. of a batch of {total}");
        var all = draw([total, .. shape[1..]]);
        return shape[0] == total ? all : all.Slice(0, First, First + shape[0]);
    }
}
