using DiffPrune.Tensors;

namespace DiffPrune.Pruning.Baselines;

/// <summary>
/// The leading eigenvectors of a symmetric positive semi-definite matrix (a Gram matrix), as PruneSID's
/// torch.pca_lowrank finds them: subspace iteration from a fixed random start on q + 8 vectors (the products on the
/// GEMM path), then Rayleigh–Ritz with cyclic Jacobi rotations on the small projected matrix. Deterministic.
/// </summary>
internal static class PrincipalDirections
{
    const int Oversampling = 8, Iterations = 60;

    /// <summary>The <paramref name="q"/> leading unit eigenvectors of <paramref name="gram"/> (n, n) as columns of an (n, q) array, largest eigenvalue first.</summary>
    public static double[,] Leading(Tensor gram, int q)
    {
        int n = gram.Shape[0], p = Math.Min(n, q + Oversampling);
        var basis = Orthonormal(Tensor.Randn(new Generator(0x5eed), [n, p]));
        for (int it = 0; it < Iterations; it++) basis = Orthonormal(gram.Matmul(basis));
        var projected = basis.Matmul(gram.Matmul(basis), transA: true);       // (p, p) = Qᵀ G Q
        var (values, vectors) = Jacobi(ToDouble(projected));
        var order = Enumerable.Range(0, p).OrderByDescending(i => values[i]).ThenBy(i => i).Take(q).ToArray();
        var result = new double[n, q];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < q; c++)
                for (int k = 0; k < p; k++) result[i, c] += basis[i, k] * vectors[k, order[c]];
        return result;
    }

    /// <summary>Orthonormal columns spanning x's (modified Gram–Schmidt; a dependent column becomes zero).</summary>
    static Tensor Orthonormal(Tensor x)
    {
        int n = x.Shape[0], p = x.Shape[1];
        var a = ToDouble(x);
        for (int c = 0; c < p; c++)
        {
            for (int prev = 0; prev < c; prev++)
            {
                double dot = 0;
                for (int i = 0; i < n; i++) dot += a[i, prev] * a[i, c];
                for (int i = 0; i < n; i++) a[i, c] -= dot * a[i, prev];
            }
            double norm = 0;
            for (int i = 0; i < n; i++) norm += a[i, c] * a[i, c];
            norm = Math.Sqrt(norm);
            for (int i = 0; i < n; i++) a[i, c] = norm > 1e-12 ? a[i, c] / norm : 0;
        }
        var y = Tensor.Zeros(n, p);
        for (int i = 0; i < n; i++)
            for (int c = 0; c < p; c++) y.Data[i * p + c] = (float)a[i, c];
        return y;
    }

    /// <summary>Eigenvalues and eigenvectors (columns) of symmetric a by cyclic Jacobi rotations (a is overwritten).</summary>
    static (double[] Values, double[,] Vectors) Jacobi(double[,] a)
    {
        int n = a.GetLength(0);
        var v = new double[n, n];
        for (int i = 0; i < n; i++) v[i, i] = 1;
        for (int sweep = 0; sweep < 100 && OffDiagonal(a) > 1e-24 * Math.Max(Diagonal(a), 1e-300); sweep++)
            for (int p = 0; p < n - 1; p++)
                for (int q = p + 1; q < n; q++)
                    if (a[p, q] != 0) Rotate(a, v, p, q);
        return (Enumerable.Range(0, n).Select(i => a[i, i]).ToArray(), v);
    }

    /// <summary>The rotation in the (p, q) plane that zeroes a[p, q] (Numerical Recipes' stable form).</summary>
    static void Rotate(double[,] a, double[,] v, int p, int q)
    {
        int n = a.GetLength(0);
        double theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
        double t = Math.Sign(theta == 0 ? 1 : theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
        double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < n; k++)
        {
            double akp = a[k, p], akq = a[k, q];
            a[k, p] = c * akp - s * akq;
            a[k, q] = s * akp + c * akq;
        }
        for (int k = 0; k < n; k++)
        {
            double apk = a[p, k], aqk = a[q, k];
            a[p, k] = c * apk - s * aqk;
            a[q, k] = s * apk + c * aqk;
        }
        for (int k = 0; k < n; k++)
        {
            double vkp = v[k, p], vkq = v[k, q];
            v[k, p] = c * vkp - s * vkq;
            v[k, q] = s * vkp + c * vkq;
        }
    }

    static double OffDiagonal(double[,] a)
    {
        double sum = 0;
        for (int i = 0; i < a.GetLength(0); i++)
            for (int j = 0; j < a.GetLength(0); j++) if (i != j) sum += a[i, j] * a[i, j];
        return sum;
    }

    static double Diagonal(double[,] a) => Enumerable.Range(0, a.GetLength(0)).Sum(i => a[i, i] * a[i, i]);

    static double[,] ToDouble(Tensor x)
    {
        int n = x.Shape[0], m = x.Shape[1];
        var a = new double[n, m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) a[i, j] = x.Data[i * m + j];
        return a;
    }
}
