namespace DiffPrune.Tensors;

/// <summary>
/// Buffers of a long-lived cache (a KV cache that outlives many forward calls and their scopes), rented from the engine's
/// caching allocator and handed back by the cache itself: <see cref="Hold"/> runs the ops that make a tensor with
/// pooled storage and keeps the result's buffer, <see cref="Release"/> returns one buffer as soon as the cache replaces
/// it, <see cref="Dispose"/> returns the rest. A cache that grows step by step then reuses the previous step's buffer
/// instead of asking the GC for fresh pages (each first touch a page fault) and zeroing them.
/// <para>Lifetime: a held tensor and its views are valid until released; the holder's owner must not hand them to code
/// that keeps them longer. Whatever else the ops inside <see cref="Hold"/> make returns to the pool when it ends.</para>
/// </summary>
public sealed class TensorHolder : IDisposable
{
    readonly List<float[]> _held = [];
    bool _disposed;

    /// <summary>Buffers held now.</summary>
    public int Count => _held.Count;

    /// <summary>Runs <paramref name="make"/> with pooled storage and holds its result's buffer until released.</summary>
    /// <exception cref="ObjectDisposedException">After <see cref="Dispose"/>.</exception>
    public Tensor Hold(Func<Tensor> make)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var scope = TensorScope.Begin();
        var tensor = make();
        if (scope.Take(tensor)) _held.Add(tensor.Storage);
        return tensor;
    }

    /// <summary>Holds <paramref name="tensor"/>'s buffer, taking it from the active scope on this thread that owns it, so
    /// that it outlives that scope; a tensor no scope owns (made outside any) stays the GC's. Returns <paramref name="tensor"/>.</summary>
    /// <exception cref="ObjectDisposedException">After <see cref="Dispose"/>.</exception>
    public Tensor Adopt(Tensor tensor)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (TensorScope.TakeFromActive(tensor)) _held.Add(tensor.Storage);
        return tensor;
    }

    /// <summary>Returns <paramref name="tensor"/>'s buffer to the pool now when this holder holds it (else does nothing):
    /// neither it nor any view of it may be read afterwards.</summary>
    public void Release(Tensor? tensor)
    {
        if (tensor == null) return;
        int i = _held.FindLastIndex(a => ReferenceEquals(a, tensor.Storage));
        if (i < 0) return;
        _held.RemoveAt(i);
        StoragePool.Return(tensor.Storage);
    }

    /// <summary>Returns every held buffer to the pool.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var array in _held) StoragePool.Return(array);
        _held.Clear();
    }
}
