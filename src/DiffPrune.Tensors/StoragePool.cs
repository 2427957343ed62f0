using System.Numerics;

namespace DiffPrune.Tensors;

/// <summary>
/// The caching allocator behind tensor storage: free float arrays kept in size classes, four per power of two
/// (1, 1.25, 1.5 and 1.75 × 2ᵏ floats), so that a request is served by an array at most 25 % longer than asked for and a
/// training step, which asks for the same sizes every time, finds every array it needs. Fresh arrays are costly here:
/// the GC hands back decommitted pages whose first touch faults, large arrays go to the large-object heap that only a
/// gen-2 collection frees, and zeroing them is a pass over memory (measured: page faults and zeroing were half of a
/// pretraining step).
/// <para>Ownership: an array rented here belongs to the renter until it returns it; only two owners return arrays: a
/// <see cref="TensorScope"/> (the storage of tensors made inside it, when it ends) and backward (the gradient of each
/// non-leaf tensor, as soon as its node has run). An array handed out may be longer than asked for and holds
/// leftovers of its last use: callers that read before they write clear it (<see cref="RentZeroed"/>).</para>
/// </summary>
internal static class StoragePool
{
    /// <summary>Arrays of this many floats or fewer are not worth pooling: the GC's gen-0 handles them well.</summary>
    public const int MinPooled = 64;

    /// <summary>Most floats kept for reuse (a quarter of the memory this process may use, at most 4 GiB);
    /// arrays returned beyond it are left to the GC.</summary>
    static readonly long MaxPooledFloats = Math.Min(1L << 30, MemoryBudget.AvailableBytes / 16);

    /// <summary>When set (environment <c>DIFFPRUNE_POOL_POISON=1</c>, or tests), returned arrays are filled with NaN, so a
    /// tensor used after its scope ended shows up as NaN instead of silently reading another tensor's values.</summary>
    internal static bool Poison { get; set; } = Environment.GetEnvironmentVariable("DIFFPRUNE_POOL_POISON") == "1";

    static readonly Dictionary<int, Stack<float[]>> Free = [];
    static long _pooledFloats;

    /// <summary>The array length that serves a request for <paramref name="length"/> floats: the next size class.</summary>
    public static int SizeClass(int length)
    {
        if (length <= MinPooled) return length;
        int exponent = 31 - BitOperations.LeadingZeroCount((uint)(length - 1)); // 2^exponent < length ≤ 2^(exponent+1)
        int step = 1 << (exponent - 2);
        long rounded = ((long)length + step - 1) / step * step;
        return rounded > Array.MaxLength ? length : (int)rounded;
    }

    /// <summary>An array of at least <paramref name="length"/> floats with arbitrary contents.</summary>
    public static float[] Rent(int length)
    {
        int size = SizeClass(length);
        if (size > MinPooled)
            lock (Free)
                if (Free.TryGetValue(size, out var stack) && stack.TryPop(out var array))
                {
                    _pooledFloats -= size;
                    return array;
                }
        return GC.AllocateUninitializedArray<float>(size);
    }

    /// <summary>An array of at least <paramref name="length"/> floats whose first <paramref name="length"/> are zero.</summary>
    public static float[] RentZeroed(int length)
    {
        var array = Rent(length);
        Array.Clear(array, 0, length);
        return array;
    }

    /// <summary>Takes back <paramref name="array"/>, which its owner, and every tensor on it, no longer use.</summary>
    public static void Return(float[] array)
    {
        if (array.Length <= MinPooled || SizeClass(array.Length) != array.Length) return;
        if (Poison) Array.Fill(array, float.NaN);
        lock (Free)
        {
            if (_pooledFloats + array.Length > MaxPooledFloats) return;
            if (!Free.TryGetValue(array.Length, out var stack)) Free[array.Length] = stack = new Stack<float[]>();
            stack.Push(array);
            _pooledFloats += array.Length;
        }
    }

    /// <summary>Floats held for reuse now.</summary>
    internal static long PooledFloats
    {
        get { lock (Free) return _pooledFloats; }
    }
}
