using DiffPrune.Tensors;

namespace DiffPrune.Pruning;

/// <summary>
/// Budgeted Soft Top-K by LapSum (Struski et al., ICML 2025): α_i = F(s_i/τ − b) with F the Laplace CDF and b the
/// unique threshold with Σ_i α_i = K. b is found exactly in O(N log N): sort z = s/τ, locate the interval of b by
/// prefix/suffix sums of exponentials (each term ≤ 1, no overflow), then solve the quadratic in e^b in log space.
/// The backward pass is the implicit function theorem's: with f = F'(z − b), q = f/Σf,
/// ∂(z_i − b)/∂z_j = δ_ij − q_j, so ∂L/∂s = (1/τ)(h − q·Σh) for h = ∂L/∂(z − b). No surrogate, no argmax.
/// </summary>
public static class SoftTopK
{
    /// <summary>α (same shape as <paramref name="logits"/>): soft membership in the top <paramref name="k"/> of the last dimension; Σα = K per row.</summary>
    /// <exception cref="ArgumentOutOfRangeException">K not in (0, N), or τ not a positive finite number.</exception>
    public static Tensor Forward(Tensor logits, double k, double tau) => Laplace.Cdf(Margins(logits, k, tau));

    /// <summary>
    /// The margins x = s/τ − b(s) (same shape as <paramref name="logits"/>), differentiable; α = F(x). The throttler
    /// works on x directly so that √α and √(1−α) have closed forms. Computed in double, returned as float32.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">K not in (0, N), or τ not a positive finite number.</exception>
    /// <exception cref="NonFiniteValueException">A logit is NaN or infinite.</exception>
    public static Tensor Margins(Tensor logits, double k, double tau)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank < 1) throw new ArgumentException("soft top-K needs logits with a last dimension of N tokens", nameof(logits));
        int n = logits.Shape[^1];
        if (!(k > 0 && k < n)) throw new ArgumentOutOfRangeException(nameof(k), $"soft top-K needs 0 < K < N (got K = {k}, N = {n}); K = N keeps every token");
        if (!(tau > 0) || double.IsInfinity(tau)) throw new ArgumentOutOfRangeException(nameof(tau), $"temperature τ must be a positive finite number (got {tau})");
        int rows = logits.Numel / n;
        var margins = new double[logits.Numel];
        var src = logits.Data;
        var z = new double[n];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < n; i++) z[i] = src[r * n + i] / tau;
            if (z.Any(v => !double.IsFinite(v))) throw new NonFiniteValueException($"row {r} of the scorer logits holds a non-finite value", nameof(logits));
            double b = Threshold(z, k);
            for (int i = 0; i < n; i++) margins[r * n + i] = z[i] - b;
        }
        var output = Tensor.FromArray(margins.Select(v => (float)v).ToArray(), logits.Shape);
        return Autograd.Function("soft_top_k", output, [logits], gy => [Backward(gy, margins, n, tau)]);
    }

    static Tensor Backward(Tensor gy, double[] margins, int n, double tau)
    {
        var gs = Tensor.Zeros(gy.Shape);
        var g = gy.Data;
        var d = gs.Data;
        var q = new double[n];
        for (int r = 0; r * n < margins.Length; r++)
        {
            var x = margins.AsSpan(r * n, n);
            // q = f / Σf with f = ½e^{−|x|}, shifted by the smallest |x| so that far-apart logits cannot underflow Σf to 0
            double nearest = double.PositiveInfinity;
            foreach (double v in x) nearest = Math.Min(nearest, Math.Abs(v));
            double total = 0, sumH = 0;
            for (int i = 0; i < n; i++)
            {
                q[i] = Math.Exp(nearest - Math.Abs(x[i]));
                total += q[i];
                sumH += g[r * n + i];
            }
            for (int i = 0; i < n; i++) d[r * n + i] = (float)((g[r * n + i] - q[i] / total * sumH) / tau);
        }
        return gs;
    }

    /// <summary>
    /// The threshold b with Σ_i F(z_i − b) = K, exactly (to double rounding), for any finite z and 0 &lt; K &lt; N.
    /// </summary>
    public static double Threshold(ReadOnlySpan<double> z, double k)
    {
        int n = z.Length;
        var sorted = z.ToArray();
        Array.Sort(sorted);
        // B_j = Σ_{i≤j} e^{z_i − z_j}, A_j = Σ_{i≥j} e^{z_j − z_i}: every term ≤ 1
        var bSum = new double[n];
        var aSum = new double[n];
        bSum[0] = 1;
        for (int j = 1; j < n; j++) bSum[j] = 1 + Math.Exp(sorted[j - 1] - sorted[j]) * bSum[j - 1];
        aSum[n - 1] = 1;
        for (int j = n - 2; j >= 0; j--) aSum[j] = 1 + Math.Exp(sorted[j] - sorted[j + 1]) * aSum[j + 1];
        // S_j = Σ_i F(z_i − z_j) decreases in j; m = #{j : S_j ≥ K} tokens lie below b (binary search)
        int lo = 0, hi = n;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            double s = 0.5 * bSum[mid] + (n - 1 - mid) - 0.5 * (aSum[mid] - 1);
            if (s >= k) lo = mid + 1; else hi = mid;
        }
        int m = lo;
        if (m == 0) return sorted[0] + Math.Log(2 * (n - k)) - Math.Log(aSum[0]);
        if (m == n) return sorted[n - 1] + Math.Log(bSum[n - 1]) - Math.Log(2 * k);
        // b ∈ [z_{m−1}, z_m]: ½e^{−b}P + c − ½e^{b}Q = 0 with P = e^{z_{m−1}}B_{m−1}, Q = e^{−z_m}A_m, c = N − m − K
        double c = n - m - k;
        double logAbsC = Math.Log(Math.Abs(c));                       // −∞ when c = 0
        double logPq = Math.Log(bSum[m - 1]) + Math.Log(aSum[m]) + sorted[m - 1] - sorted[m];
        double logR = LogAddExp(logAbsC, 0.5 * LogAddExp(2 * logAbsC, logPq));
        return c > 0
            ? sorted[m] + logR - Math.Log(aSum[m])
            : sorted[m - 1] + Math.Log(bSum[m - 1]) - logR;
    }

    static double LogAddExp(double a, double b)
    {
        if (double.IsNegativeInfinity(a)) return b;
        if (double.IsNegativeInfinity(b)) return a;
        double hi = Math.Max(a, b);
        return hi + Math.Log(1 + Math.Exp(Math.Min(a, b) - hi));
    }
}
