using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DiffPrune.Tensors.Blas;

// Register-blocked SGEMM micro-kernels. Legend (row-major, as the driver in ManagedGemm.cs):
//   MR = rows of C per tile (broadcast side, from the packed A panel)
//   NR = columns of C per tile (vector side, from the packed B panel)
//   kc = depth of this k-block
// Packed layouts (see GemmPacking.cs):
//   a: (kc, MR)  a[p*MR + i] = alpha·op(A)[i, p]   (alpha is folded in while packing)
//   b: (kc, NR)  b[p*NR + j] = op(B)[p, j]
// Every kernel computes the full MR×NR tile acc = a·b and then writes
//   C[i, j] = acc[i, j]                   when beta == 0 (C is not read: NaN garbage in C is ignored, as BLAS)
//   C[i, j] = acc[i, j] + beta·C[i, j]    otherwise.
// Tiles on the right or bottom edge are computed into a scratch tile by the driver and merged there, so the
// kernels never need masks. The accumulators are plain locals: the JIT keeps all of them in registers
// (AVX-512 has 32 zmm registers: 24 accumulators + 2 B vectors + 1 broadcast).

/// <summary>A micro-kernel with its tile shape and the blocking sizes tuned for it.</summary>
internal readonly unsafe struct GemmKernel
{
    /// <summary>(kc, a, b, c, ldc, beta): one MR×NR tile, see the legend in GemmKernels.cs.</summary>
    public readonly delegate*<int, float*, float*, float*, int, float, void> Run;
    /// <summary>Rows of a tile.</summary>
    public readonly int MR;
    /// <summary>Columns of a tile (a multiple of the vector width).</summary>
    public readonly int NR;
    /// <summary>k-block: an MR×KC panel of A must stay in L1 while it is reused against every B panel.</summary>
    public readonly int KC;
    /// <summary>n-block: the packed KC×NC block of B must stay in L2 while every A panel streams past it.</summary>
    public readonly int NC;
    /// <summary>Human-readable description (ISA and tile), for <c>diffprune info</c> and the benchmarks.</summary>
    public readonly string Name;

    public GemmKernel(delegate*<int, float*, float*, float*, int, float, void> run, int mr, int nr, int kc, int nc, string name)
    {
        Run = run; MR = mr; NR = nr; KC = kc; NC = nc; Name = name;
    }

    /// <summary>The widest kernel the hardware runs well: AVX-512, else AVX2+FMA, else portable <see cref="Vector{T}"/>.</summary>
    public static GemmKernel Best()
    {
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported) return Avx512;
        if (Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported) return Avx2Fma;
        return Portable;
    }

    /// <summary>Every kernel this machine can run, widest first (tests compare each with the reference).</summary>
    public static IEnumerable<GemmKernel> Supported()
    {
        if (Avx512F.IsSupported) yield return Avx512;
        if (Avx2.IsSupported && Fma.IsSupported) yield return Avx2Fma;
        yield return Portable;
    }

    // Block sizes: KC·MR·4 B (A panel, L1 resident) ≈ 12 KB of the 32–48 KB L1d; KC·NC·4 B (B block, L2
    // resident) ≈ 512 KB of the ≥1 MB L2 of current x86 server cores.
    public static GemmKernel Avx512 => new(&GemmKernels.Kernel12x32Avx512, 12, 32, 256, 512, "AVX-512 12x32");
    public static GemmKernel Avx2Fma => new(&GemmKernels.Kernel6x16Avx2, 6, 16, 256, 512, "AVX2+FMA 6x16");
    public static GemmKernel Portable => new(&GemmKernels.Kernel4xVPortable, 4, 2 * Vector<float>.Count, 256, 512,
        $"Vector<float> 4x{2 * Vector<float>.Count}");
}

/// <summary>The micro-kernels. Signatures are identical so the driver calls them through one function pointer.</summary>
internal static unsafe class GemmKernels
{
    /// <summary>12×32 tile with AVX-512: per k step, 2 vector loads of B, 12 broadcasts of A, 24 FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel12x32Avx512(int kc, float* a, float* b, float* c, int ldc, float beta)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default, cA0 = default, cA1 = default, cB0 = default, cB1 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            Vector512<float> ai;
            ai = Vector512.Create(a[0]); c00 = Avx512F.FusedMultiplyAdd(ai, b0, c00); c01 = Avx512F.FusedMultiplyAdd(ai, b1, c01);
            ai = Vector512.Create(a[1]); c10 = Avx512F.FusedMultiplyAdd(ai, b0, c10); c11 = Avx512F.FusedMultiplyAdd(ai, b1, c11);
            ai = Vector512.Create(a[2]); c20 = Avx512F.FusedMultiplyAdd(ai, b0, c20); c21 = Avx512F.FusedMultiplyAdd(ai, b1, c21);
            ai = Vector512.Create(a[3]); c30 = Avx512F.FusedMultiplyAdd(ai, b0, c30); c31 = Avx512F.FusedMultiplyAdd(ai, b1, c31);
            ai = Vector512.Create(a[4]); c40 = Avx512F.FusedMultiplyAdd(ai, b0, c40); c41 = Avx512F.FusedMultiplyAdd(ai, b1, c41);
            ai = Vector512.Create(a[5]); c50 = Avx512F.FusedMultiplyAdd(ai, b0, c50); c51 = Avx512F.FusedMultiplyAdd(ai, b1, c51);
            ai = Vector512.Create(a[6]); c60 = Avx512F.FusedMultiplyAdd(ai, b0, c60); c61 = Avx512F.FusedMultiplyAdd(ai, b1, c61);
            ai = Vector512.Create(a[7]); c70 = Avx512F.FusedMultiplyAdd(ai, b0, c70); c71 = Avx512F.FusedMultiplyAdd(ai, b1, c71);
            ai = Vector512.Create(a[8]); c80 = Avx512F.FusedMultiplyAdd(ai, b0, c80); c81 = Avx512F.FusedMultiplyAdd(ai, b1, c81);
            ai = Vector512.Create(a[9]); c90 = Avx512F.FusedMultiplyAdd(ai, b0, c90); c91 = Avx512F.FusedMultiplyAdd(ai, b1, c91);
            ai = Vector512.Create(a[10]); cA0 = Avx512F.FusedMultiplyAdd(ai, b0, cA0); cA1 = Avx512F.FusedMultiplyAdd(ai, b1, cA1);
            ai = Vector512.Create(a[11]); cB0 = Avx512F.FusedMultiplyAdd(ai, b0, cB0); cB1 = Avx512F.FusedMultiplyAdd(ai, b1, cB1);
            a += 12;
            b += 32;
        }
        var vb = Vector512.Create(beta);
        Store512(c + 0 * ldc, c00, c01, beta, vb); Store512(c + 1 * ldc, c10, c11, beta, vb);
        Store512(c + 2 * ldc, c20, c21, beta, vb); Store512(c + 3 * ldc, c30, c31, beta, vb);
        Store512(c + 4 * ldc, c40, c41, beta, vb); Store512(c + 5 * ldc, c50, c51, beta, vb);
        Store512(c + 6 * ldc, c60, c61, beta, vb); Store512(c + 7 * ldc, c70, c71, beta, vb);
        Store512(c + 8 * ldc, c80, c81, beta, vb); Store512(c + 9 * ldc, c90, c91, beta, vb);
        Store512(c + 10 * ldc, cA0, cA1, beta, vb); Store512(c + 11 * ldc, cB0, cB1, beta, vb);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store512(float* c, Vector512<float> v0, Vector512<float> v1, float beta, Vector512<float> vb)
    {
        if (beta != 0f)
        {
            // acc + beta·C; beta == 0 never reads C.
            v0 = Avx512F.FusedMultiplyAdd(Vector512.Load(c), vb, v0);
            v1 = Avx512F.FusedMultiplyAdd(Vector512.Load(c + 16), vb, v1);
        }
        v0.Store(c);
        v1.Store(c + 16);
    }

    /// <summary>6×16 tile with AVX2+FMA: 12 ymm accumulators + 2 B vectors + 1 broadcast of the 16 registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel6x16Avx2(int kc, float* a, float* b, float* c, int ldc, float beta)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            Vector256<float> ai;
            ai = Vector256.Create(a[0]); c00 = Fma.MultiplyAdd(ai, b0, c00); c01 = Fma.MultiplyAdd(ai, b1, c01);
            ai = Vector256.Create(a[1]); c10 = Fma.MultiplyAdd(ai, b0, c10); c11 = Fma.MultiplyAdd(ai, b1, c11);
            ai = Vector256.Create(a[2]); c20 = Fma.MultiplyAdd(ai, b0, c20); c21 = Fma.MultiplyAdd(ai, b1, c21);
            ai = Vector256.Create(a[3]); c30 = Fma.MultiplyAdd(ai, b0, c30); c31 = Fma.MultiplyAdd(ai, b1, c31);
            ai = Vector256.Create(a[4]); c40 = Fma.MultiplyAdd(ai, b0, c40); c41 = Fma.MultiplyAdd(ai, b1, c41);
            ai = Vector256.Create(a[5]); c50 = Fma.MultiplyAdd(ai, b0, c50); c51 = Fma.MultiplyAdd(ai, b1, c51);
            a += 6;
            b += 16;
        }
        var vb = Vector256.Create(beta);
        Store256(c + 0 * ldc, c00, c01, beta, vb); Store256(c + 1 * ldc, c10, c11, beta, vb);
        Store256(c + 2 * ldc, c20, c21, beta, vb); Store256(c + 3 * ldc, c30, c31, beta, vb);
        Store256(c + 4 * ldc, c40, c41, beta, vb); Store256(c + 5 * ldc, c50, c51, beta, vb);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store256(float* c, Vector256<float> v0, Vector256<float> v1, float beta, Vector256<float> vb)
    {
        if (beta != 0f)
        {
            v0 = Fma.MultiplyAdd(Vector256.Load(c), vb, v0);
            v1 = Fma.MultiplyAdd(Vector256.Load(c + 8), vb, v1);
        }
        v0.Store(c);
        v1.Store(c + 8);
    }

    /// <summary>4×(2·W) tile with <see cref="Vector{T}"/> (W lanes): the fallback for other ISAs (e.g. Arm NEON).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel4xVPortable(int kc, float* a, float* b, float* c, int ldc, float beta)
    {
        int w = Vector<float>.Count;
        Vector<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector<float> c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector.Load(b);
            var b1 = Vector.Load(b + w);
            Vector<float> ai;
            // MultiplyAddEstimate is a fused multiply-add where the hardware has one, else multiply then add.
            ai = new Vector<float>(a[0]); c00 = Vector.MultiplyAddEstimate(ai, b0, c00); c01 = Vector.MultiplyAddEstimate(ai, b1, c01);
            ai = new Vector<float>(a[1]); c10 = Vector.MultiplyAddEstimate(ai, b0, c10); c11 = Vector.MultiplyAddEstimate(ai, b1, c11);
            ai = new Vector<float>(a[2]); c20 = Vector.MultiplyAddEstimate(ai, b0, c20); c21 = Vector.MultiplyAddEstimate(ai, b1, c21);
            ai = new Vector<float>(a[3]); c30 = Vector.MultiplyAddEstimate(ai, b0, c30); c31 = Vector.MultiplyAddEstimate(ai, b1, c31);
            a += 4;
            b += 2 * w;
        }
        var vb = new Vector<float>(beta);
        StoreV(c + 0 * ldc, c00, c01, beta, vb); StoreV(c + 1 * ldc, c10, c11, beta, vb);
        StoreV(c + 2 * ldc, c20, c21, beta, vb); StoreV(c + 3 * ldc, c30, c31, beta, vb);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreV(float* c, Vector<float> v0, Vector<float> v1, float beta, Vector<float> vb)
    {
        int w = Vector<float>.Count;
        if (beta != 0f)
        {
            v0 = Vector.MultiplyAddEstimate(Vector.Load(c), vb, v0);
            v1 = Vector.MultiplyAddEstimate(Vector.Load(c + w), vb, v1);
        }
        v0.Store(c);
        v1.Store(c + w);
    }
}
