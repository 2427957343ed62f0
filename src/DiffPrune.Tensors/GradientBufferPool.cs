namespace DiffPrune.Tensors;

/// <summary>
/// Recycles the storage of intermediate gradients. Backward releases each non-leaf gradient as soon as its node has
/// run, and nothing else can hold it (only <see cref="Tensor.GradSpan"/> creates gradient storage), so the next
/// gradient of the same size can reuse the array. Fresh arrays are costly here: the GC hands back decommitted pages,
/// and the first touch of each page faults (measured: page faults and zeroing were half of a pretraining step).
/// </summary>
internal static class GradientBufferPool
{
    /// <summary>Most floats kept for reuse (1 GiB); arrays returned beyond it are left to the GC.</summary>
    const long MaxPooledFloats = 1L << 28;

    static readonly Dictionary<int, Stack<float[]>> Free = [];
    static long _pooledFloats;

    /// <summary>A zeroed array of exactly <paramref name="length"/> floats, recycled when one is free.</summary>
    public static float[] RentZeroed(int length)
    {
        lock (Free)
        {
            if (Free.TryGetValue(length, out var stack) && stack.TryPop(out var array))
            {
                _pooledFloats -= length;
                Array.Clear(array);
                return array;
            }
        }
        return new float[length];
    }

    /// <summary>Takes back <paramref name="array"/>, which its owner no longer uses.</summary>
    public static void Return(float[] array)
    {
        lock (Free)
        {
            if (_pooledFloats + array.Length > MaxPooledFloats) return;
            if (!Free.TryGetValue(array.Length, out var stack)) Free[array.Length] = stack = new Stack<float[]>();
            stack.Push(array);
            _pooledFloats += array.Length;
        }
    }
}
