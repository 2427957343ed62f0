using System.Runtime.CompilerServices;

namespace DiffPrune.Tensors;

/// <summary>
/// A dense, row-major float32 tensor with an optional gradient (reverse-mode autograd).
/// Every tensor is contiguous; <see cref="Reshape(int[])"/> of a tensor is a view that shares storage,
/// every other op materialises its result. Ops follow PyTorch's names and semantics.
/// </summary>
public sealed partial class Tensor
{
    /// <summary>Backing array; its first <see cref="Numel"/> entries are the values. Shared by reshape views.</summary>
    internal readonly float[] Storage;

    /// <summary>The shape, outermost dimension first. Never modified after construction.</summary>
    public int[] Shape { get; }

    /// <summary>Number of elements (product of <see cref="Shape"/>; 1 for a 0-d scalar).</summary>
    public int Numel { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Length;

    /// <summary>The accumulated gradient after <see cref="Backward"/>; null until one flows here.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>An optional name, used in error messages (parameters carry their dotted names).</summary>
    public string? Name { get; set; }

    /// <summary>The autograd record that produced this tensor (null for leaves).</summary>
    internal GradNode? GradFn;

    bool _requiresGrad;

    /// <summary>
    /// Whether gradients flow to this tensor. Setting it is allowed on leaves only (parameters, inputs);
    /// a frozen parameter (false) still lets gradients pass to the op's other inputs.
    /// </summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (GradFn != null && !value)
                throw new InvalidOperationException($"RequiresGrad can only be cleared on a leaf tensor; call Detach() on {Describe()}.");
            _requiresGrad = value;
        }
    }

    /// <summary>True when this tensor was created by the user rather than by an op that records a graph.</summary>
    public bool IsLeaf => GradFn == null;

    /// <summary>Values as a span over the storage (row-major).</summary>
    public Span<float> Data => Storage.AsSpan(0, Numel);

    internal Tensor(float[] storage, int[] shape, bool requiresGrad = false)
    {
        Shape = shape;
        Numel = ShapeUtil.Numel(shape);
        if (storage.Length < Numel)
            throw new ArgumentException($"storage holds {storage.Length} floats but shape {ShapeUtil.Format(shape)} needs {Numel}");
        Storage = storage;
        _requiresGrad = requiresGrad;
    }

    // ---------------------------------------------------------------- factories

    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(params int[] shape) => new(new float[ShapeUtil.CheckedNumel(shape)], (int[])shape.Clone());

    /// <summary>An op's zeroed result: storage owned by the active <see cref="TensorScope"/> (pooled), or fresh without one.</summary>
    internal static Tensor Pooled(params int[] shape) => new(TensorScope.Rent(ShapeUtil.CheckedNumel(shape)), (int[])shape.Clone());

    /// <summary>An op's result whose every element the op writes before reading any: as <see cref="Pooled"/>, but a
    /// recycled buffer is not cleared first.</summary>
    internal static Tensor PooledForOverwrite(int[] shape) => new(TensorScope.Rent(ShapeUtil.CheckedNumel(shape), zeroed: false), (int[])shape.Clone());

    /// <summary>
    /// A result for an op written outside the engine, like <c>torch.empty</c>: contents arbitrary, every element to be
    /// written before it is read; its storage is rented from the active <see cref="TensorScope"/> like an engine op's
    /// result (a fresh array without one), so a custom kernel inside a training step reuses buffers as the built-in ones do.
    /// </summary>
    public static Tensor Empty(params int[] shape) => PooledForOverwrite(shape);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(int[] shape, float value)
    {
        var t = Zeros(shape);
        t.Data.Fill(value);
        return t;
    }

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(params int[] shape) => Full(shape, 1f);

    /// <summary>A 0-d tensor holding one value.</summary>
    public static Tensor Scalar(float value) => new(new[] { value }, Array.Empty<int>());

    /// <summary>Copies <paramref name="values"/> into a new tensor of the given shape.</summary>
    public static Tensor FromArray(ReadOnlySpan<float> values, params int[] shape)
    {
        int n = ShapeUtil.CheckedNumel(shape);
        if (values.Length != n)
            throw new ArgumentException($"{values.Length} values do not fill shape {ShapeUtil.Format(shape)} ({n} elements)");
        return new Tensor(values.ToArray(), (int[])shape.Clone());
    }

    /// <summary>Wraps <paramref name="storage"/> without copying (the caller gives up ownership).</summary>
    public static Tensor Wrap(float[] storage, params int[] shape) => new(storage, (int[])shape.Clone());

    /// <summary>0, 1, ..., n−1 as floats.</summary>
    public static Tensor Arange(int n)
    {
        var t = Zeros(n);
        for (int i = 0; i < n; i++) t.Storage[i] = i;
        return t;
    }

    /// <summary>An n×n identity matrix.</summary>
    public static Tensor Eye(int n)
    {
        var t = Zeros(n, n);
        for (int i = 0; i < n; i++) t.Storage[i * n + i] = 1f;
        return t;
    }

    /// <summary>Samples from N(mean, std²) using <paramref name="gen"/>.</summary>
    public static Tensor Randn(Generator gen, int[] shape, float mean = 0f, float std = 1f)
    {
        var t = Zeros(shape);
        gen.FillNormal(t.Data, mean, std);
        return t;
    }

    /// <summary>Samples from U[low, high) using <paramref name="gen"/>.</summary>
    public static Tensor Rand(Generator gen, int[] shape, float low = 0f, float high = 1f)
    {
        var t = Zeros(shape);
        gen.FillUniform(t.Data, low, high);
        return t;
    }

    /// <summary>Samples standard Gumbel noise −log(−log u) using <paramref name="gen"/> (for Gumbel top-K / Gumbel-STE).</summary>
    public static Tensor RandGumbel(Generator gen, params int[] shape)
    {
        var t = Zeros(shape);
        gen.FillGumbel(t.Data);
        return t;
    }

    // ---------------------------------------------------------------- basic access

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim) => Shape[ShapeUtil.NormDim(dim, Rank)];

    /// <summary>The single value of a one-element tensor.</summary>
    public float Item()
    {
        if (Numel != 1) throw new InvalidOperationException($"Item() needs one element, {Describe()} has {Numel}");
        return Storage[0];
    }

    /// <summary>Copies the values into a new array.</summary>
    public float[] ToArray() => Data.ToArray();

    /// <summary>Element at a multi-index (slow; for tests and small tensors).</summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public float this[params int[] index]
    {
        get => Storage[ShapeUtil.Offset(Shape, index)];
        set => Storage[ShapeUtil.Offset(Shape, index)] = value;
    }

    /// <summary>A new tensor with the same values, not connected to the graph.</summary>
    public Tensor Detach() => new(Storage, Shape);

    /// <summary>A deep copy without graph history.</summary>
    public Tensor Clone() => new(Data.ToArray(), (int[])Shape.Clone());

    /// <summary>Copies values from <paramref name="src"/> (same number of elements) in place, outside the graph.</summary>
    public void CopyFrom(Tensor src)
    {
        if (src.Numel != Numel)
            throw new ArgumentException($"CopyFrom: {src.Describe()} does not match {Describe()}");
        src.Data.CopyTo(Data);
    }

    /// <summary>Sets this tensor's gradient to null.</summary>
    public void ZeroGrad() => Grad = null;

    /// <summary>Marks this leaf as requiring gradients and returns it (fluent form).</summary>
    public Tensor RequireGrad(bool on = true)
    {
        RequiresGrad = on;
        return this;
    }

    /// <summary>"name [2, 3]" or "tensor [2, 3]".</summary>
    public string Describe() => $"{Name ?? "tensor"} {ShapeUtil.Format(Shape)}";

    /// <inheritdoc/>
    public override string ToString()
    {
        var head = string.Join(", ", Storage.Take(Math.Min(Numel, 8)).Select(v => v.ToString("G5")));
        return $"Tensor{ShapeUtil.Format(Shape)}[{head}{(Numel > 8 ? ", ..." : "")}]";
    }

    /// <summary>Gradient storage for accumulation (zeros on first use, rented from the <see cref="StoragePool"/>: backward returns
    /// the gradients of non-leaf tensors there as soon as they are consumed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Span<float> GradSpan()
    {
        Grad ??= new Tensor(StoragePool.RentZeroed(Numel), Shape);
        return Grad.Data;
    }
}
