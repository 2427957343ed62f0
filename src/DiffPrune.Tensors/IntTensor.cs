namespace DiffPrune.Tensors;

/// <summary>An integer tensor for indices (token ids, top-k indices, gather/scatter indices). Not differentiable.</summary>
public sealed class IntTensor
{
    /// <summary>The values, row-major.</summary>
    public int[] Data { get; }

    /// <summary>The shape.</summary>
    public int[] Shape { get; }

    /// <summary>Number of elements.</summary>
    public int Numel => Data.Length;

    /// <summary>Wraps <paramref name="data"/> with the given shape (defaults to 1-D).</summary>
    public IntTensor(int[] data, params int[] shape)
    {
        Shape = shape.Length == 0 && data.Length != 1 ? [data.Length] : shape;
        if (ShapeUtil.Numel(Shape) != data.Length)
            throw new ArgumentException($"{data.Length} indices do not fill shape {ShapeUtil.Format(Shape)}");
        Data = data;
    }

    /// <summary>Element at a multi-index.</summary>
    public int this[params int[] index] => Data[ShapeUtil.Offset(Shape, index)];

    /// <summary>Same data under a new shape.</summary>
    public IntTensor Reshape(params int[] shape) => new(Data, shape);

    /// <inheritdoc/>
    public override string ToString() => $"IntTensor{ShapeUtil.Format(Shape)}[{string.Join(", ", Data.Take(8))}{(Data.Length > 8 ? ", ..." : "")}]";
}
