namespace DiffPrune.Tensors.Tests.Ops;

/// <summary>
/// Each fast (Vector256) kernel against the naive reference kept beside it, over lengths that hit the SIMD body and the
/// tails (llm.c's check of a kernel against its reference): within 1e-5, or bit for bit where the fast kernel does the
/// reference's arithmetic per element.
/// </summary>
public class FastKernelTests
{
    public static TheoryData<int> Widths => new() { 1, 5, 7, 8, 9, 16, 31, 64, 100, 257 };

    static float[] Random(int n, ulong seed, float scale = 1f)
    {
        var a = new float[n];
        new Generator(seed).FillNormal(a, 0f, scale);
        return a;
    }

    static void Close(float[] expected, float[] actual, double tol = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * Math.Max(1, Math.Abs(expected[i])),
                $"element {i}: reference {expected[i]:R}, fast {actual[i]:R}");
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void RmsNormMatchesReference(int c)
    {
        const int rows = 3;
        var x = Random(rows * c, 1);
        var g = Random(rows * c, 2);
        foreach (var w in new[] { null, Random(c, 3) })
        {
            float[] y = new float[rows * c], yRef = new float[rows * c], dx = Random(rows * c, 4), dxRef = (float[])dx.Clone();
            for (int r = 0; r < rows; r++)
            {
                float rs = NormKernels.RmsNormForward(y, x, w, r * c, c, 1e-5f);
                float rsRef = NormKernels.RmsNormForwardReference(yRef, x, w, r * c, c, 1e-5f);
                Assert.Equal(rsRef, rs);
                NormKernels.RmsNormBackward(dx, g, x, w, rs, r * c, c);
                NormKernels.RmsNormBackwardReference(dxRef, g, x, w, rs, r * c, c);
            }
            Assert.Equal(yRef, y); // same per-element arithmetic
            Close(dxRef, dx);
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void LayerNormMatchesReference(int c)
    {
        const int rows = 3;
        var x = Random(rows * c, 5, 3f);
        for (int i = 0; i < x.Length; i++) x[i] += 2f; // an offset mean, as real activations have
        var g = Random(rows * c, 6);
        foreach (var (w, b) in new[] { ((float[]?)null, (float[]?)null), (Random(c, 7), Random(c, 8)) })
        {
            float[] y = new float[rows * c], yRef = new float[rows * c], dx = Random(rows * c, 9), dxRef = (float[])dx.Clone();
            for (int r = 0; r < rows; r++)
            {
                var (m, rs) = NormKernels.LayerNormForward(y, x, w, b, r * c, c, 1e-5f);
                var (mRef, rsRef) = NormKernels.LayerNormForwardReference(yRef, x, w, b, r * c, c, 1e-5f);
                Assert.Equal(mRef, m);
                Close([rsRef], [rs]);
                NormKernels.LayerNormBackward(dx, g, x, w, mRef, rsRef, r * c, c);
                NormKernels.LayerNormBackwardReference(dxRef, g, x, w, mRef, rsRef, r * c, c);
            }
            Close(yRef, y);
            Close(dxRef, dx);
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void NormParameterGradientsEqualTheScalarLoop(int c)
    {
        var x = Random(c, 10);
        var g = Random(c, 11);
        float[] dw = Random(c, 12), db = Random(c, 13);
        float[] dwRef = (float[])dw.Clone(), dbRef = (float[])db.Clone();
        const float mean = 0.25f, rstd = 1.5f;
        NormKernels.ParameterGradients(dw, db, g, x, mean, rstd, 0, c);
        for (int i = 0; i < c; i++)
        {
            dwRef[i] += g[i] * ((x[i] - mean) * rstd);
            dbRef[i] += g[i];
        }
        Assert.Equal(dwRef, dw);
        Assert.Equal(dbRef, db);
    }

    public static TheoryData<string, int> Activations()
    {
        var data = new TheoryData<string, int>();
        foreach (var name in new[] { "gelu", "silu", "quick_gelu" })
            foreach (int n in new[] { 0, 1, 7, 8, 9, 15, 17, 1024, 1031 }) data.Add(name, n);
        return data;
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void FusedActivationsMatchTheirReferences(string name, int n)
    {
        var x = Random(n, 14, 3f);
        var g = Random(n, 15);
        float[] y = new float[n], yRef = new float[n], dx = Random(n, 16), dxRef = (float[])dx.Clone();
        var d = new float[n];
        switch (name)
        {
            case "gelu":
                FusedActivations.Forward<GeluActivation>(x, y);
                FusedActivations.Backward<GeluActivation>(x, g, dx);
                ForChunks(n, (lo, len) => ActivationKernels.GeluForward(x.AsSpan(lo, len), yRef.AsSpan(lo, len)));
                ForChunks(n, (lo, len) => ActivationKernels.GeluDerivative(x.AsSpan(lo, len), d.AsSpan(lo, len)));
                break;
            case "silu":
                FusedActivations.Forward<SiluActivation>(x, y);
                FusedActivations.Backward<SiluActivation>(x, g, dx);
                ForChunks(n, (lo, len) => ActivationKernels.SwishForward(x.AsSpan(lo, len), 1f, yRef.AsSpan(lo, len)));
                ForChunks(n, (lo, len) => ActivationKernels.SwishDerivative(x.AsSpan(lo, len), 1f, d.AsSpan(lo, len)));
                break;
            default:
                FusedActivations.Forward<QuickGeluActivation>(x, y);
                FusedActivations.Backward<QuickGeluActivation>(x, g, dx);
                ForChunks(n, (lo, len) => ActivationKernels.SwishForward(x.AsSpan(lo, len), 1.702f, yRef.AsSpan(lo, len)));
                ForChunks(n, (lo, len) => ActivationKernels.SwishDerivative(x.AsSpan(lo, len), 1.702f, d.AsSpan(lo, len)));
                break;
        }
        for (int i = 0; i < n; i++) dxRef[i] = g[i] * d[i] + dxRef[i];
        Close(yRef, y);
        Close(dxRef, dx);
    }

    static void ForChunks(int n, Action<int, int> body)
    {
        for (int lo = 0; lo < n; lo += ActivationKernels.Chunk) body(lo, Math.Min(ActivationKernels.Chunk, n - lo));
    }

    [Theory]
    [InlineData(16, false)]
    [InlineData(32, true)]
    [InlineData(40, false)]
    public void VectorRopeRowEqualsTheScalarRotation(int d, bool inverse)
    {
        var src = Random(3 * d, 17);
        var cos = Random(d / 2, 18);
        var sin = Random(d / 2, 19);
        float[] fast = new float[3 * d], reference = new float[3 * d];
        for (int row = 0; row < 3; row++)
        {
            F.RotateRow(src, fast, cos, sin, row * d, 0, d, RopeStyle.Half, inverse);
            F.RotateRowReference(src, reference, cos, sin, row * d, 0, d, RopeStyle.Half, inverse);
        }
        Assert.Equal(reference, fast);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(64)]
    [InlineData(100)]
    public void BroadcastAlongARowEqualsTheScalarLoop(int c)
    {
        var a = Tensor.FromArray(Random(4 * c, 20), 2, 2, c);
        var b = Tensor.FromArray(Random(4, 21), 2, 2, 1);
        var products = a.Mul(b).ToArray();
        var sums = b.Add(a).ToArray();
        for (int i = 0; i < 4 * c; i++)
        {
            Assert.Equal(a.Data[i] * b.Data[i / c], products[i]);
            Assert.Equal(b.Data[i / c] + a.Data[i], sums[i]);
        }
    }
}
