namespace DiffPrune.Tensors.Distributed;

/// <summary>
/// One rank's share of numbered work items (batches, scenes): item i belongs to rank i mod <see cref="Ranks"/>, so that
/// consecutive items spread over all ranks and each rank sees its items in their original order.
/// </summary>
/// <param name="Rank">This share's rank, 0 .. <see cref="Ranks"/> − 1.</param>
/// <param name="Ranks">Ranks sharing the work.</param>
public readonly record struct WorkShare(int Rank, int Ranks)
{
    /// <summary>All of the work: one rank alone.</summary>
    public static WorkShare All { get; } = new(0, 1);

    /// <summary>The share of <paramref name="world"/>'s rank.</summary>
    public static WorkShare Of(Communicator world) => new(world.Rank, world.Size);

    /// <summary>True when item <paramref name="index"/> is this rank's.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A share whose rank lies outside 0 .. Ranks − 1, or a negative index.</exception>
    public bool Owns(int index)
    {
        if (Ranks < 1 || (uint)Rank >= (uint)Ranks) throw new ArgumentOutOfRangeException(nameof(Rank), $"rank {Rank} is outside 0..{Ranks - 1}");
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return index % Ranks == Rank;
    }
}
