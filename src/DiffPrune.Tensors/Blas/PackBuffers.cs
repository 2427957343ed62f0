using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DiffPrune.Tensors.Blas;

/// <summary>
/// Per-thread packing buffers, allocated once per thread on the pinned object heap and aligned to 64 bytes,
/// so steady-state GEMM calls allocate nothing and vector loads never split a cache line.
/// </summary>
internal static unsafe class PackBuffers
{
    [ThreadStatic] static float[]? _a;
    [ThreadStatic] static float[]? _b;
    [ThreadStatic] static float[]? _tile;

    /// <summary>Buffer for one packed A panel (at least <paramref name="floats"/> floats).</summary>
    public static float* A(int floats) => Get(ref _a, floats);

    /// <summary>Buffer for one packed B block.</summary>
    public static float* B(int floats) => Get(ref _b, floats);

    /// <summary>Scratch for an edge tile.</summary>
    public static float* Tile(int floats) => Get(ref _tile, floats);

    static float* Get(ref float[]? buffer, int floats)
    {
        if (buffer == null || buffer.Length < floats + 16)
            buffer = GC.AllocateUninitializedArray<float>(floats + 16, pinned: true);
        // Pinned arrays never move, so the address stays valid while the thread-static keeps the array alive.
        nint p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        return (float*)((p + 63) & ~(nint)63);
    }
}
