namespace DiffPrune.Tensors.IO;

/// <summary>
/// Element types of the safetensors format, named as they are spelled in a file header
/// (<c>"F32"</c>, <c>"BF16"</c>, …). Files may declare any of them; this library converts
/// <see cref="F32"/>, <see cref="F16"/> and <see cref="BF16"/> to float32 tensors and writes <see cref="F32"/>.
/// </summary>
public enum SafeTensorsDType
{
    /// <summary>IEEE 754 binary32 (<c>"F32"</c>), 4 bytes. Read and written.</summary>
    F32,
    /// <summary>IEEE 754 binary16 (<c>"F16"</c>, <see cref="Half"/>), 2 bytes. Read.</summary>
    F16,
    /// <summary>bfloat16 (<c>"BF16"</c>): the upper 16 bits of a float32, 2 bytes. Read.</summary>
    BF16,
    /// <summary>IEEE 754 binary64 (<c>"F64"</c>), 8 bytes. Not converted.</summary>
    F64,
    /// <summary>8-bit float, 4 exponent and 3 mantissa bits (<c>"F8_E4M3"</c>), 1 byte. Not converted.</summary>
    F8E4M3,
    /// <summary>8-bit float, 5 exponent and 2 mantissa bits (<c>"F8_E5M2"</c>), 1 byte. Not converted.</summary>
    F8E5M2,
    /// <summary>Boolean (<c>"BOOL"</c>), 1 byte. Not converted.</summary>
    Bool,
    /// <summary>Unsigned 8-bit integer (<c>"U8"</c>). Not converted.</summary>
    U8,
    /// <summary>Signed 8-bit integer (<c>"I8"</c>). Not converted.</summary>
    I8,
    /// <summary>Unsigned 16-bit integer (<c>"U16"</c>). Not converted.</summary>
    U16,
    /// <summary>Signed 16-bit integer (<c>"I16"</c>). Not converted.</summary>
    I16,
    /// <summary>Unsigned 32-bit integer (<c>"U32"</c>). Not converted.</summary>
    U32,
    /// <summary>Signed 32-bit integer (<c>"I32"</c>). Not converted.</summary>
    I32,
    /// <summary>Unsigned 64-bit integer (<c>"U64"</c>). Not converted.</summary>
    U64,
    /// <summary>Signed 64-bit integer (<c>"I64"</c>). Not converted.</summary>
    I64,
}

/// <summary>Header spelling, element size and support of each <see cref="SafeTensorsDType"/>.</summary>
public static class SafeTensorsDTypes
{
    static readonly (SafeTensorsDType DType, string Name, int Size)[] Table =
    [
        (SafeTensorsDType.F32, "F32", 4), (SafeTensorsDType.F16, "F16", 2), (SafeTensorsDType.BF16, "BF16", 2),
        (SafeTensorsDType.F64, "F64", 8), (SafeTensorsDType.F8E4M3, "F8_E4M3", 1), (SafeTensorsDType.F8E5M2, "F8_E5M2", 1),
        (SafeTensorsDType.Bool, "BOOL", 1), (SafeTensorsDType.U8, "U8", 1), (SafeTensorsDType.I8, "I8", 1),
        (SafeTensorsDType.U16, "U16", 2), (SafeTensorsDType.I16, "I16", 2), (SafeTensorsDType.U32, "U32", 4),
        (SafeTensorsDType.I32, "I32", 4), (SafeTensorsDType.U64, "U64", 8), (SafeTensorsDType.I64, "I64", 8),
    ];

    /// <summary>The dtypes that convert to float32 tensors, as a message fragment: "F32, F16, BF16".</summary>
    public const string Readable = "F32, F16, BF16";

    /// <summary>The spelling used in a file header (<c>"BF16"</c>, <c>"F8_E4M3"</c>, …).</summary>
    public static string HeaderName(this SafeTensorsDType dtype) => Find(dtype).Name;

    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this SafeTensorsDType dtype) => Find(dtype).Size;

    /// <summary>True for the dtypes this library converts to float32 (<see cref="Readable"/>).</summary>
    public static bool IsReadable(this SafeTensorsDType dtype) =>
        dtype is SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16;

    /// <summary>Parses a header spelling (case-sensitive, as the format requires); false for unknown names.</summary>
    public static bool TryParse(string name, out SafeTensorsDType dtype)
    {
        foreach (var e in Table)
            if (e.Name == name) { dtype = e.DType; return true; }
        dtype = default;
        return false;
    }

    static (SafeTensorsDType DType, string Name, int Size) Find(SafeTensorsDType dtype)
    {
        foreach (var e in Table)
            if (e.DType == dtype) return e;
        throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a safetensors dtype");
    }
}
