using DiffPrune.Tensors;

namespace DiffPrune.Pruning.Baselines;

/// <summary>Per-sample token geometry shared by the similarity-based baselines.</summary>
internal static class TokenGeometry
{
    /// <summary>Sample b's rows of x (B, N, d) as (N, d).</summary>
    public static Tensor Sample(Tensor x, int b) => x.Slice(0, b, b + 1).Reshape(x.Shape[1], x.Shape[2]);

    /// <summary>Rows of x (N, d) over their L2 norm, max(‖x‖, 1e-12) as torch.nn.functional.normalize (a zero row stays zero).</summary>
    public static Tensor Normalize(Tensor x)
    {
        int n = x.Shape[0], d = x.Shape[1];
        var y = x.Detach().Clone();
        for (int i = 0; i < n; i++)
        {
            var row = y.Data.Slice(i * d, d);
            float norm = MathF.Max(MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(row)), 1e-12f);
            System.Numerics.Tensors.TensorPrimitives.Divide(row, norm, row);
        }
        return y;
    }

    /// <summary>Cosine similarities (N, M) between the rows of a (N, d) and b (M, d).</summary>
    public static Tensor Cosine(Tensor a, Tensor b) => Normalize(a).Matmul(Normalize(b), transB: true);

    /// <summary>
    /// Cosine similarities (N, N) among the rows of x (N, d), exactly symmetric: a GEMM may round (i, j) and (j, i)
    /// differently, and a pair of mutual nearest neighbours must tie exactly so that the lower index wins in any batch.
    /// </summary>
    public static Tensor Cosine(Tensor x)
    {
        var unit = Normalize(x);
        var sim = unit.Matmul(unit, transB: true);
        int n = sim.Shape[0];
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) sim.Data[j * n + i] = sim.Data[i * n + j];
        return sim;
    }
}
