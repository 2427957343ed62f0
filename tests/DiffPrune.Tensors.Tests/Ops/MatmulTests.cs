using DiffPrune.Tensors.Blas;
using static DiffPrune.Tensors.Tests.Ops.TestTensors;

namespace DiffPrune.Tensors.Tests.Ops;

/// <summary>
/// matmul: 2-D, batched, the four transpose-flag combinations, batch broadcasting and the folded path
/// (b 2-D, a not transposed: a's batch folded into GEMM rows). M = 3, K = 4, N = 5 throughout.
/// </summary>
public class MatmulTests
{
    const int M = 3, K = 4, N = 5;

    /// <summary>Stored shape of a for op(a) = (..., M, K).</summary>
    static int[] AShape(int[] batch, bool transA) => [.. batch, transA ? K : M, transA ? M : K];

    /// <summary>Stored shape of b for op(b) = (..., K, N).</summary>
    static int[] BShape(int[] batch, bool transB) => [.. batch, transB ? N : K, transB ? K : N];

    public static TheoryData<int[], int[], bool, bool> Cases()
    {
        var data = new TheoryData<int[], int[], bool, bool>();
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
            {
                data.Add([], [], ta, tb);             // plain 2-D
                data.Add([2], [2], ta, tb);           // batched, same batch
                data.Add([2, 3], [], ta, tb);         // b 2-D with a 3-D batch (folded when !transA)
                data.Add([2, 1], [3], ta, tb);        // [2,1,..] with [3,..] → batch [2, 3]
                data.Add([], [2], ta, tb);            // a 2-D broadcast over b's batch
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradientsMatchFiniteDifferences(int[] aBatch, int[] bBatch, bool transA, bool transB)
    {
        var gen = new Generator(51);
        var a = Leaf(gen, AShape(aBatch, transA));
        var b = Leaf(gen, BShape(bBatch, transB));
        var y = a.Matmul(b, transA, transB);
        int[] batch = ShapeUtil.Broadcast(aBatch, bBatch);
        Assert.Equal([.. batch, M, N], y.Shape);
        GradCheck.Check(x => x[0].Matmul(x[1], transA, transB), [a, b]);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardMatchesReferenceGemm(int[] aBatch, int[] bBatch, bool transA, bool transB)
    {
        var gen = new Generator(52);
        var a = Tensor.Randn(gen, AShape(aBatch, transA));
        var b = Tensor.Randn(gen, BShape(bBatch, transB));
        var y = a.Matmul(b, transA, transB);
        // expand both to the broadcast batch, then one reference GEMM per matrix
        int[] batch = ShapeUtil.Broadcast(aBatch, bBatch);
        var ae = a.Expand([.. batch, .. a.Shape[^2..]]);
        var be = b.Expand([.. batch, .. b.Shape[^2..]]);
        int count = ShapeUtil.Numel(batch);
        var expected = new float[count * M * N];
        for (int i = 0; i < count; i++)
            ManagedGemm.Reference(transA, transB, M, N, K, 1f,
                ae.Data.Slice(i * M * K, M * K), transA ? M : K,
                be.Data.Slice(i * K * N, K * N), transB ? K : N,
                0f, expected.AsSpan(i * M * N, M * N), N);
        AssertClose(expected, y, atol: 1e-5, rtol: 1e-5);
    }

    [Fact]
    public void LargerShapesMatchReferenceOnBothPaths()
    {
        // sizes that are not multiples of any SIMD width, through the folded and the batched path
        var gen = new Generator(53);
        var a = Tensor.Randn(gen, [2, 37, 29]);
        var b = Tensor.Randn(gen, [29, 43]);
        var folded = a.Matmul(b);
        var batched = a.Matmul(b.Unsqueeze(0).Expand(2, 29, 43));
        var expected = new float[2 * 37 * 43];
        ManagedGemm.Reference(false, false, 2 * 37, 43, 29, 1f, a.Data, 29, b.Data, 43, 0f, expected, 43);
        AssertClose(expected, folded, atol: 1e-4, rtol: 1e-5);
        AssertClose(expected, batched, atol: 1e-4, rtol: 1e-5);
    }

    [Fact]
    public void ABatchLargeEnoughToRunOnSeveralThreadsGivesEachProductAndGradientAsAlone()
    {
        // 24 products of 64×64×32: well above RowParallel.MinWork, so the batch is split across threads
        var gen = new Generator(56);
        var a = Leaf(gen, 2, 12, 64, 32);
        var b = Leaf(gen, 2, 12, 64, 32);
        var y = a.Matmul(b, transB: true);
        var upstream = Tensor.Randn(gen, y.Shape);
        y.Mul(upstream).Sum().Backward();
        for (int i = 0; i < 24; i++)
        {
            var ai = Tensor.FromArray(a.Data.Slice(i * 64 * 32, 64 * 32).ToArray(), 64, 32).RequireGrad();
            var bi = Tensor.FromArray(b.Data.Slice(i * 64 * 32, 64 * 32).ToArray(), 64, 32).RequireGrad();
            var yi = ai.Matmul(bi, transB: true);
            yi.Mul(Tensor.FromArray(upstream.Data.Slice(i * 64 * 64, 64 * 64).ToArray(), 64, 64)).Sum().Backward();
            AssertClose(yi.ToArray(), Tensor.FromArray(y.Data.Slice(i * 64 * 64, 64 * 64).ToArray(), 64, 64), atol: 1e-5, rtol: 1e-5);
            AssertClose(ai.Grad!.ToArray(), Tensor.FromArray(a.Grad!.Data.Slice(i * 64 * 32, 64 * 32).ToArray(), 64, 32), atol: 1e-5, rtol: 1e-5);
            AssertClose(bi.Grad!.ToArray(), Tensor.FromArray(b.Grad!.Data.Slice(i * 64 * 32, 64 * 32).ToArray(), 64, 32), atol: 1e-5, rtol: 1e-5);
        }
    }

    [Fact]
    public void TransposeFlagsEqualMaterialisedTransposes()
    {
        var gen = new Generator(54);
        var a = Tensor.Randn(gen, [2, K, M]);
        var b = Tensor.Randn(gen, [2, N, K]);
        var flagged = a.Matmul(b, transA: true, transB: true);
        var explicitT = a.Transpose(1, 2).Matmul(b.Transpose(1, 2));
        AssertClose(explicitT.ToArray(), flagged, atol: 1e-6, rtol: 1e-6);
    }

    [Fact]
    public void SameTensorOnBothSidesAccumulatesBothGradients()
    {
        // x·xᵀ: the folded path (x 2-D) and the batched path (x 3-D) both write dA and dB into x's gradient
        var gen = new Generator(55);
        GradCheck.Check(t => t[0].Matmul(t[0], transB: true), [Leaf(gen, 3, 4)]);
        GradCheck.Check(t => t[0].Matmul(t[0], transB: true), [Leaf(gen, 2, 3, 4)]);
        GradCheck.Check(t => t[0].Matmul(t[0], transA: true), [Leaf(gen, 2, 3, 4)]);
        GradCheck.Check(t => t[0].Matmul(t[0]), [Leaf(gen, 2, 3, 3)]);
    }

    [Fact]
    public void ZeroInnerSizeGivesZeros()
    {
        var y = Tensor.Zeros(3, 0).Matmul(Tensor.Zeros(0, 2));
        Assert.Equal([3, 2], y.Shape);
        Assert.All(y.ToArray(), v => Assert.Equal(0f, v));
    }
}
