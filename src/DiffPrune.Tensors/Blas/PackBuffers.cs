using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DiffPrune.Tensors.Blas;

/// <summary>
/// The packing memory of one running GEMM strip: an A panel (MR×KC), a B block (KC×NC) and an edge-tile scratch
/// (MR×NR), carved from one array on the pinned object heap with each part aligned to 64 bytes, so vector loads
/// never split a cache line and the pointers stay valid without <c>fixed</c>.
/// </summary>
internal sealed unsafe class PackBuffers
{
    // Free buffers. Renting takes one (or makes one); returning puts it back, so the number ever made is the
    // largest number of strips that ran at once (about the core count) rather than one per thread that ever ran a
    // GEMM: the thread pool adds and retires threads at will, and a buffer is ~0.5 MB.
    static readonly PackBuffers?[] Free = new PackBuffers?[64];

    readonly float[] _storage; // kept alive here; pinned, so the pointers below never move

    /// <summary>Packed A panel, at least MR·KC floats.</summary>
    public readonly float* A;
    /// <summary>Packed B block, at least KC·NC floats.</summary>
    public readonly float* B;
    /// <summary>Edge-tile scratch, at least MR·NR floats.</summary>
    public readonly float* Tile;
    readonly int _aFloats, _bFloats, _tileFloats;

    PackBuffers(int aFloats, int bFloats, int tileFloats)
    {
        _aFloats = aFloats; _bFloats = bFloats; _tileFloats = tileFloats;
        _storage = GC.AllocateUninitializedArray<float>(Round(aFloats) + Round(bFloats) + Round(tileFloats) + 16, pinned: true);
        nint p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_storage));
        float* start = (float*)((p + 63) & ~(nint)63);
        A = start;
        B = A + Round(aFloats);
        Tile = B + Round(bFloats);
    }

    static int Round(int floats) => (floats + 15) & ~15; // whole 64-byte lines

    /// <summary>A buffer with at least the given sizes; give it back with <see cref="Return"/>.</summary>
    public static PackBuffers Rent(int aFloats, int bFloats, int tileFloats)
    {
        for (int i = 0; i < Free.Length; i++)
        {
            var buf = Interlocked.Exchange(ref Free[i], null);
            if (buf == null) continue;
            if (buf._aFloats >= aFloats && buf._bFloats >= bFloats && buf._tileFloats >= tileFloats) return buf;
            Return(buf); // too small for this kernel: leave it for others (kernels never change at run time)
            break;
        }
        return new PackBuffers(aFloats, bFloats, tileFloats);
    }

    /// <summary>Makes <paramref name="buf"/> available to the next <see cref="Rent"/>.</summary>
    public static void Return(PackBuffers buf)
    {
        for (int i = 0; i < Free.Length; i++)
            if (Interlocked.CompareExchange(ref Free[i], buf, null) == null) return;
        // More than 64 strips ran at once; let the GC have this one.
    }
}
