using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DiffPrune.Tensors;

// Row kernels of LayerNorm and RMSNorm. Legend: a row is C channels at offset o = r·C of x, y, g (dL/dy), dx;
// w, b the (C) weight and bias (null = 1 and 0); mean and rstd are the row's saved statistics.
// Each kernel has a naive reference beside it with the same signature; the fast one runs Vector256 lanes with a scalar
// tail and falls back to the reference where Vector256 is not accelerated. A test compares the two (≤ 1e-5).
// The fast forward kernels keep the references' per-element arithmetic (bit-identical outputs, except LayerNorm's
// variance, summed in float lanes instead of one double); the backward kernels sum their row dot products in float
// lanes, so they differ from the references in the last bits. Lanes are summed in a fixed order: same input, same bits.
internal static class NormKernels
{
    static bool Fast => Vector256.IsHardwareAccelerated;

    /// <summary>RMSNorm forward of one row: rstd = 1/√(mean(x²) + eps); y = x·rstd·w. Returns rstd.</summary>
    public static float RmsNormForward(float[] y, float[] x, float[]? w, int o, int c, float eps)
    {
        if (!Fast) return RmsNormForwardReference(y, x, w, o, c, eps);
        float rs = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(x.AsSpan(o, c)) / c + eps);
        var vrs = Vector256.Create(rs);
        int i = 0;
        for (; i <= c - 8; i += 8)
        {
            var v = Load(x, o + i) * vrs;
            Store(w == null ? v : v * Load(w, i), y, o + i);
        }
        for (; i < c; i++) y[o + i] = x[o + i] * rs * (w?[i] ?? 1f);
        return rs;
    }

    /// <summary>Reference of <see cref="RmsNormForward"/>.</summary>
    public static float RmsNormForwardReference(float[] y, float[] x, float[]? w, int o, int c, float eps)
    {
        float rs = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(x.AsSpan(o, c)) / c + eps);
        for (int i = 0; i < c; i++) y[o + i] = x[o + i] * rs * (w?[i] ?? 1f);
        return rs;
    }

    /// <summary>
    /// RMSNorm backward of one row (forward: y = x·rstd·w), accumulating into dx:
    /// xhat = x·rstd; dxhat = g·w; dx += rstd·(dxhat − xhat·mean(dxhat·xhat)).
    /// </summary>
    public static void RmsNormBackward(float[] dx, float[] g, float[] x, float[]? w, float rstd, int o, int c)
    {
        if (!Fast) { RmsNormBackwardReference(dx, g, x, w, rstd, o, c); return; }
        var vr = Vector256.Create(rstd);
        var acc = Vector256<float>.Zero;
        int i = 0;
        for (; i <= c - 8; i += 8)
        {
            var dxh = w == null ? Load(g, o + i) : Load(g, o + i) * Load(w, i);
            acc += dxh * (Load(x, o + i) * vr);
        }
        float sum = Vector256.Sum(acc);
        for (int j = i; j < c; j++) sum += g[o + j] * (w?[j] ?? 1f) * (x[o + j] * rstd);
        float mDX = sum / c;
        var vm = Vector256.Create(mDX);
        for (i = 0; i <= c - 8; i += 8)
        {
            var dxh = w == null ? Load(g, o + i) : Load(g, o + i) * Load(w, i);
            var xh = Load(x, o + i) * vr;
            Store(Load(dx, o + i) + vr * (dxh - xh * vm), dx, o + i);
        }
        for (; i < c; i++)
        {
            float xh = x[o + i] * rstd, dxh = g[o + i] * (w?[i] ?? 1f);
            dx[o + i] += rstd * (dxh - xh * mDX);
        }
    }

    /// <summary>Reference of <see cref="RmsNormBackward"/>.</summary>
    public static void RmsNormBackwardReference(float[] dx, float[] g, float[] x, float[]? w, float rstd, int o, int c)
    {
        double sumDX = 0;
        for (int i = 0; i < c; i++) sumDX += g[o + i] * (w?[i] ?? 1f) * (x[o + i] * rstd);
        float mDX = (float)(sumDX / c);
        for (int i = 0; i < c; i++)
        {
            float xh = x[o + i] * rstd, dxh = g[o + i] * (w?[i] ?? 1f);
            dx[o + i] += rstd * (dxh - xh * mDX);
        }
    }

    /// <summary>
    /// LayerNorm forward of one row: mean, rstd = 1/√(var + eps) (biased variance); y = (x − mean)·rstd·w + b.
    /// Returns (mean, rstd).
    /// </summary>
    public static (float Mean, float Rstd) LayerNormForward(float[] y, float[] x, float[]? w, float[]? b, int o, int c, float eps)
    {
        if (!Fast) return LayerNormForwardReference(y, x, w, b, o, c, eps);
        float m = TensorPrimitives.Sum(x.AsSpan(o, c)) / c;
        var vm = Vector256.Create(m);
        var acc = Vector256<float>.Zero;
        int i = 0;
        for (; i <= c - 8; i += 8)
        {
            var d = Load(x, o + i) - vm;
            acc += d * d;
        }
        float v = Vector256.Sum(acc);
        for (int j = i; j < c; j++) { float d = x[o + j] - m; v += d * d; }
        float rs = 1f / MathF.Sqrt(v / c + eps);
        var vrs = Vector256.Create(rs);
        for (i = 0; i <= c - 8; i += 8)
        {
            var t = (Load(x, o + i) - vm) * vrs;
            if (w != null) t *= Load(w, i);
            Store(b == null ? t : t + Load(b, i), y, o + i);
        }
        for (; i < c; i++) y[o + i] = (x[o + i] - m) * rs * (w?[i] ?? 1f) + (b?[i] ?? 0f);
        return (m, rs);
    }

    /// <summary>Reference of <see cref="LayerNormForward"/>.</summary>
    public static (float Mean, float Rstd) LayerNormForwardReference(float[] y, float[] x, float[]? w, float[]? b, int o, int c, float eps)
    {
        float m = TensorPrimitives.Sum(x.AsSpan(o, c)) / c;
        double v = 0;
        for (int i = 0; i < c; i++) { float d = x[o + i] - m; v += d * d; }
        float rs = 1f / MathF.Sqrt((float)(v / c) + eps);
        for (int i = 0; i < c; i++) y[o + i] = (x[o + i] - m) * rs * (w?[i] ?? 1f) + (b?[i] ?? 0f);
        return (m, rs);
    }

    /// <summary>
    /// LayerNorm backward of one row, accumulating into dx: xhat = (x − mean)·rstd; dxhat = g·w;
    /// dx += rstd·(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat)).
    /// </summary>
    public static void LayerNormBackward(float[] dx, float[] g, float[] x, float[]? w, float mean, float rstd, int o, int c)
    {
        if (!Fast) { LayerNormBackwardReference(dx, g, x, w, mean, rstd, o, c); return; }
        var (vm, vr) = (Vector256.Create(mean), Vector256.Create(rstd));
        var (accD, accDX) = (Vector256<float>.Zero, Vector256<float>.Zero);
        int i = 0;
        for (; i <= c - 8; i += 8)
        {
            var dxh = w == null ? Load(g, o + i) : Load(g, o + i) * Load(w, i);
            accD += dxh;
            accDX += dxh * ((Load(x, o + i) - vm) * vr);
        }
        float sumD = Vector256.Sum(accD), sumDX = Vector256.Sum(accDX);
        for (int j = i; j < c; j++)
        {
            float dxh = g[o + j] * (w?[j] ?? 1f);
            sumD += dxh;
            sumDX += dxh * ((x[o + j] - mean) * rstd);
        }
        float mD = sumD / c, mDX = sumDX / c;
        var (vmD, vmDX) = (Vector256.Create(mD), Vector256.Create(mDX));
        for (i = 0; i <= c - 8; i += 8)
        {
            var dxh = w == null ? Load(g, o + i) : Load(g, o + i) * Load(w, i);
            var xh = (Load(x, o + i) - vm) * vr;
            Store(Load(dx, o + i) + vr * (dxh - vmD - xh * vmDX), dx, o + i);
        }
        for (; i < c; i++)
        {
            float xh = (x[o + i] - mean) * rstd, dxh = g[o + i] * (w?[i] ?? 1f);
            dx[o + i] += rstd * (dxh - mD - xh * mDX);
        }
    }

    /// <summary>Reference of <see cref="LayerNormBackward"/>.</summary>
    public static void LayerNormBackwardReference(float[] dx, float[] g, float[] x, float[]? w, float mean, float rstd, int o, int c)
    {
        double sumD = 0, sumDX = 0;
        for (int i = 0; i < c; i++)
        {
            float xh = (x[o + i] - mean) * rstd, dxh = g[o + i] * (w?[i] ?? 1f);
            sumD += dxh; sumDX += dxh * xh;
        }
        float mD = (float)(sumD / c), mDX = (float)(sumDX / c);
        for (int i = 0; i < c; i++)
        {
            float xh = (x[o + i] - mean) * rstd, dxh = g[o + i] * (w?[i] ?? 1f);
            dx[o + i] += rstd * (dxh - mD - xh * mDX);
        }
    }

    /// <summary>dw[i] += g·xhat and db[i] += g over one row (the parameter gradients; per-element, so bit-identical to a scalar loop).
    /// <paramref name="mean"/> is 0 for RMSNorm. Either span may be empty.</summary>
    public static void ParameterGradients(Span<float> dw, Span<float> db, float[] g, float[] x, float mean, float rstd, int o, int c)
    {
        var (vm, vr) = (Vector256.Create(mean), Vector256.Create(rstd));
        int i = 0;
        if (Fast)
            for (; i <= c - 8; i += 8)
            {
                var gv = Load(g, o + i);
                if (!dw.IsEmpty) (Vector256.LoadUnsafe(ref dw[i]) + gv * ((Load(x, o + i) - vm) * vr)).StoreUnsafe(ref dw[i]);
                if (!db.IsEmpty) (Vector256.LoadUnsafe(ref db[i]) + gv).StoreUnsafe(ref db[i]);
            }
        for (; i < c; i++)
        {
            if (!dw.IsEmpty) dw[i] += g[o + i] * ((x[o + i] - mean) * rstd);
            if (!db.IsEmpty) db[i] += g[o + i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Load(float[] a, int i) => Vector256.LoadUnsafe(ref a[i]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(Vector256<float> v, float[] a, int i) => v.StoreUnsafe(ref a[i]);
}
