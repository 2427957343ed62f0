namespace DiffPrune.Tensors;

/// <summary>
/// A region of code (a training step, a batch of evaluation) whose op results go back to the engine's caching allocator
/// when it ends, like TorchSharp's dispose scopes: <c>using (TensorScope.Begin()) { forward; backward; optimizer step; }</c>.
/// A step then reuses the previous step's buffers instead of allocating fresh ones.
/// <para>Lifetime rules.</para>
/// <list type="bullet">
/// <item>Who owns a buffer: while a scope is active on a thread, the storage of every tensor an op makes on that thread
/// (outputs, and the buffers an op keeps for its backward: saved statistics, masks) is rented from the pool and owned
/// by the innermost scope, as is a <see cref="Tensor.Empty"/> (the result of an op written outside the engine). Tensors made by the other public factories (<see cref="Tensor.Zeros"/>, <see cref="Tensor.FromArray"/>,
/// <see cref="Tensor.Clone"/>, …), parameters, optimizer state and everything made outside a scope are ordinary
/// GC-owned arrays and never pooled. Without a scope the engine behaves exactly as without the allocator.</item>
/// <item>Gradients: the gradient of a non-leaf tensor is pooled whether or not a scope is active, and returns when
/// backward has consumed it (unless <see cref="Tensor.RetainGrad"/>). Leaf gradients (parameters) are the user's.</item>
/// <item>When a buffer returns: when its scope is disposed, after everything in the scope has run; not earlier, so the
/// autograd graph of the scope can be walked as often as before and any tensor made in the scope can be read until
/// the scope ends. Buffers that ops only use inside themselves return at once.</item>
/// <item>Views: <see cref="Tensor.Reshape(int[])"/>, <see cref="Tensor.Detach"/> and other views share their base's
/// buffer and die with it: a view is valid exactly as long as the scope that owns the buffer.</item>
/// <item>Tensors the user keeps: a result that must outlive the scope (a cached mask, an output returned to a caller)
/// is passed to <see cref="Keep"/>, which hands its buffer to the enclosing scope, or to the GC when there is none;
/// or copied out (<see cref="Tensor.Clone"/>, <see cref="Tensor.Item"/>, <see cref="Tensor.ToArray"/>). Reading a
/// tensor of an ended scope is a bug: its buffer may already hold another tensor's values (set
/// <c>DIFFPRUNE_POOL_POISON=1</c> to fill returned buffers with NaN and find such reads).</item>
/// <item>Threads: a scope belongs to the thread that began it; ops run on other threads (inside parallel loops) allocate
/// as without a scope. Scopes nest and must end in reverse order of their start.</item>
/// </list>
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] static TensorScope? _current;

    readonly TensorScope? _outer;
    readonly List<float[]> _owned = [];
    bool _disposed;

    TensorScope(TensorScope? outer) => _outer = outer;

    /// <summary>Starts a scope on this thread; dispose it to hand its tensors' buffers back to the pool.</summary>
    public static TensorScope Begin() => _current = new TensorScope(_current);

    /// <summary>The innermost active scope on this thread, or null.</summary>
    internal static TensorScope? Current => _current;

    /// <summary>Buffers this scope will hand back when it ends.</summary>
    public int OwnedBuffers => _owned.Count;

    /// <summary>
    /// Storage for a tensor or saved buffer of <paramref name="length"/> floats that an op makes: rented and owned by the
    /// active scope, or a fresh (zeroed) array when there is none. <paramref name="zeroed"/> false is for kernels that
    /// write every element before reading any.
    /// </summary>
    internal static float[] Rent(int length, bool zeroed = true)
    {
        var scope = _current;
        if (scope == null || length <= StoragePool.MinPooled) return new float[length];
        var array = zeroed ? StoragePool.RentZeroed(length) : StoragePool.Rent(length);
        scope._owned.Add(array);
        return array;
    }

    /// <summary>
    /// Lets <paramref name="tensor"/> (and its views) outlive this scope: its buffer goes to the enclosing scope, or to
    /// the GC when there is none. Returns <paramref name="tensor"/>. A tensor this scope does not own is returned unchanged.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The scope has ended.</exception>
    public Tensor Keep(Tensor tensor)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Take(tensor)) _outer?._owned.Add(tensor.Storage);
        return tensor;
    }

    /// <summary>Takes <paramref name="tensor"/>'s buffer out of this scope for a <see cref="TensorHolder"/>, which returns it
    /// later; false when this scope does not own it.</summary>
    internal bool Take(Tensor tensor)
    {
        int i = _owned.FindLastIndex(a => ReferenceEquals(a, tensor.Storage));
        if (i < 0) return false;
        _owned.RemoveAt(i);
        return true;
    }

    /// <summary>Hands <paramref name="tensor"/>'s buffer to the GC whichever active scope on this thread owns it: for caches
    /// that live as long as the object holding them.</summary>
    internal static Tensor Disown(Tensor tensor)
    {
        TakeFromActive(tensor);
        return tensor;
    }

    /// <summary>Takes <paramref name="tensor"/>'s buffer from whichever active scope on this thread owns it; false when none does.</summary>
    internal static bool TakeFromActive(Tensor tensor)
    {
        for (var scope = _current; scope != null; scope = scope._outer)
            if (scope.Take(tensor)) return true;
        return false;
    }

    /// <summary>Ends the scope: every buffer it owns goes back to the pool.</summary>
    /// <exception cref="InvalidOperationException">An inner scope is still active, or the scope belongs to another thread.</exception>
    public void Dispose()
    {
        if (_disposed) return;
        if (!ReferenceEquals(_current, this))
            throw new InvalidOperationException("TensorScope: scopes must end in reverse order of their start, on the thread that began them; end the inner scope first");
        _disposed = true;
        _current = _outer;
        foreach (var array in _owned) StoragePool.Return(array);
        _owned.Clear();
    }
}
