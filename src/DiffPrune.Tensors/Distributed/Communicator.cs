using System.Runtime.InteropServices;

namespace DiffPrune.Tensors.Distributed;

/// <summary>
/// The processes of one run (MPI_COMM_WORLD) and the collectives the project needs: in-place float sums (gradients),
/// broadcast, barrier, gathers of bytes or floats (sharded results), abort. A process not started by mpiexec, or started
/// alone, is a world of one whose collectives return at once and which never loads an MPI library; so every caller may
/// use <see cref="World"/> unconditionally.
/// </summary>
/// <remarks>
/// Counts in MPI's C API are <c>int</c>: sums and broadcasts of longer buffers go in chunks of
/// <see cref="ChunkElements"/>, and a gather's total must stay below 2³¹ elements. Collectives must be called
/// by every rank in the same order, from one thread at a time (MPI_THREAD_SERIALIZED).
/// </remarks>
public sealed unsafe class Communicator
{
    /// <summary>Elements per MPI call in <see cref="AllreduceSum(Span{float})"/> (64 MB of floats), bytes per call in <see cref="Broadcast{T}"/>.</summary>
    public const int ChunkElements = 1 << 24;

    static readonly Lazy<Communicator> _world = new(Open, LazyThreadSafetyMode.ExecutionAndPublication);

    readonly MpiLibrary? _mpi;
    readonly int _chunk;

    Communicator(MpiLibrary? mpi, int rank, int size, int chunk)
    {
        _mpi = mpi;
        Rank = rank;
        Size = size;
        _chunk = chunk;
    }

    /// <summary>
    /// This process's world: MPI initialised on first use when mpiexec started it with others (<see cref="MpiLaunch"/>),
    /// else a world of one.
    /// </summary>
    /// <exception cref="MpiUnavailableException">Started by mpiexec with others, but no MPI library loads.</exception>
    public static Communicator World => _world.Value;

    /// <summary>True once <see cref="World"/> has been opened (so that shutting down never opens it).</summary>
    public static bool IsWorldOpen => _world.IsValueCreated;

    /// <summary>A world of one process, without MPI.</summary>
    public static Communicator Single { get; } = new(null, 0, 1, ChunkElements);

    /// <summary>This process's rank, 0 .. <see cref="Size"/> − 1.</summary>
    public int Rank { get; }

    /// <summary>Processes in the world.</summary>
    public int Size { get; }

    /// <summary>True on rank 0, the rank that writes files and prints.</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>The MPI library in use and its version line; null in a world without MPI.</summary>
    public string? Library => _mpi == null ? null : $"{_mpi.Name} ({_mpi.Version()})";

    static Communicator Open()
    {
        var launch = MpiLaunch.FromEnvironment();
        return launch.IsParallel ? Open(launch, ChunkElements) : Single;
    }

    /// <summary>MPI's world for <paramref name="launch"/>, with sums chunked at <paramref name="chunk"/> elements (tests use small chunks).</summary>
    internal static Communicator Open(MpiLaunch launch, int chunk)
    {
        var mpi = MpiLibrary.TryLoad(MpiLibrary.Candidates(launch.OpenMpi), out var error)
            ?? throw new MpiUnavailableException($"mpiexec started {launch.Size} processes, but {error}: apt-get install mpich (or openmpi-bin), or run without mpiexec");
        mpi.Init();
        return new Communicator(mpi, mpi.Rank(), mpi.Size(), chunk);
    }

    /// <summary>This world with sums and broadcasts chunked at <paramref name="elements"/> (tests of the chunking).</summary>
    internal Communicator WithChunk(int elements) => new(_mpi, Rank, Size, elements);

    /// <summary>Sums <paramref name="data"/> element-wise over all ranks, in place; every rank gets the sum.</summary>
    public void AllreduceSum(Span<float> data)
    {
        if (_mpi == null) return;
        fixed (float* p = data)
            for (int start = 0; start < data.Length; start += _chunk)
                _mpi.AllreduceInPlace(p + start, Math.Min(_chunk, data.Length - start), _mpi.Float);
    }

    /// <summary>As <see cref="AllreduceSum(Span{float})"/> for doubles (losses, counts).</summary>
    public void AllreduceSum(Span<double> data)
    {
        if (_mpi == null) return;
        fixed (double* p = data)
            for (int start = 0; start < data.Length; start += _chunk)
                _mpi.AllreduceInPlace(p + start, Math.Min(_chunk, data.Length - start), _mpi.Double);
    }

    /// <summary>Copies <paramref name="root"/>'s <paramref name="data"/> into every rank's (all pass the same length).</summary>
    public void Broadcast<T>(Span<T> data, int root = 0) where T : unmanaged
    {
        CheckRoot(root);
        if (_mpi == null) return;
        var bytes = MemoryMarshal.AsBytes(data);
        fixed (byte* p = bytes)
            for (long start = 0; start < bytes.Length; start += _chunk)
                _mpi.Bcast(p + start, (int)Math.Min(_chunk, bytes.Length - start), _mpi.Byte, root);
    }

    /// <summary>Returns when every rank has called it.</summary>
    public void Barrier() => _mpi?.Barrier();

    /// <summary>Every rank's <paramref name="mine"/> (lengths may differ), indexed by rank, on <paramref name="root"/>; null on the others.</summary>
    public byte[][]? Gather(ReadOnlySpan<byte> mine, int root = 0)
    {
        CheckRoot(root);
        if (_mpi == null) return [mine.ToArray()];
        var counts = new int[Size];
        int count = mine.Length;
        fixed (int* c = counts) _mpi.Gather(&count, 1, _mpi.Int, c, root);
        if (Rank != root)
        {
            fixed (byte* s = mine) _mpi.Gatherv(s, count, _mpi.Byte, null, null, null, root);
            return null;
        }
        var (all, offsets) = Concatenation(counts);
        fixed (byte* s = mine)
        fixed (byte* r = all)
        fixed (int* c = counts)
        fixed (int* d = offsets)
            _mpi.Gatherv(s, count, _mpi.Byte, r, c, d, root);
        return Split(all, counts, offsets);
    }

    /// <summary>Every rank's <paramref name="mine"/> concatenated in rank order, on <paramref name="root"/>; null on the others.</summary>
    public float[]? Gather(ReadOnlySpan<float> mine, int root = 0)
    {
        var parts = Gather(MemoryMarshal.AsBytes(mine), root);
        return parts == null ? null : MemoryMarshal.Cast<byte, float>(parts.SelectMany(p => p).ToArray()).ToArray();
    }

    /// <summary>Every rank's <paramref name="mine"/> (lengths may differ), indexed by rank, on every rank.</summary>
    public byte[][] AllGather(ReadOnlySpan<byte> mine)
    {
        if (_mpi == null) return [mine.ToArray()];
        var counts = new int[Size];
        int count = mine.Length;
        fixed (int* c = counts) _mpi.Allgather(&count, 1, _mpi.Int, c);
        var (all, offsets) = Concatenation(counts);
        fixed (byte* s = mine)
        fixed (byte* r = all)
        fixed (int* c = counts)
        fixed (int* d = offsets)
            _mpi.Allgatherv(s, count, _mpi.Byte, r, c, d);
        return Split(all, counts, offsets);
    }

    static readonly TimeSpan AbortForwardWait = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Ends every rank of the job with <paramref name="exitCode"/> (MPI_Abort); in a world of one, this process. Call it
    /// after printing why: the other ranks may be waiting in a collective and would otherwise never return.
    /// </summary>
    public void Abort(int exitCode)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        // the launcher forwards a rank's output asynchronously: an abort right after the write lost the message in
        // about 1 of 12 runs of mpiexec -n 2; a moment's wait lets it through
        if (_mpi != null) Thread.Sleep(AbortForwardWait);
        _mpi?.Abort(exitCode);
        Environment.Exit(exitCode);
    }

    /// <summary>MPI_Finalize when this world runs on MPI (every rank calls it once, at the end).</summary>
    public void Shutdown() => _mpi?.Shutdown();

    void CheckRoot(int root)
    {
        if ((uint)root >= (uint)Size) throw new ArgumentOutOfRangeException(nameof(root), $"root rank {root} is outside 0..{Size - 1}");
    }

    static (byte[] All, int[] Offsets) Concatenation(int[] counts)
    {
        var offsets = new int[counts.Length];
        long total = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            offsets[i] = (int)total;
            total += counts[i];
            if (total > int.MaxValue) throw new InvalidOperationException($"a gather of {total} bytes exceeds MPI's int counts: gather in parts");
        }
        return (new byte[total], offsets);
    }

    static byte[][] Split(byte[] all, int[] counts, int[] offsets) =>
        counts.Select((c, i) => all.AsSpan(offsets[i], c).ToArray()).ToArray();
}
