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
    /// α (B, N_max) of a padded batch: row i's first <paramref name="lengths"/>[i] logits are its tokens and get the Soft
    /// Top-K of that row alone with budget <paramref name="k"/>[i] (Σα = K_i over them); padded slots get α = 0 exactly and
    /// no gradient. K_i = N_i is allowed and gives α = 1 on every token of the row (the limit of the threshold), with no gradient.
    /// </summary>
    /// <exception cref="ArgumentException">Logits not (B, N_max), or lengths / budgets that do not fit (named).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A K_i not in (0, N_i], or τ not a positive finite number.</exception>
    /// <exception cref="NonFiniteValueException">A real token's logit is NaN or infinite.</exception>
    public static Tensor Forward(Tensor logits, IReadOnlyList<int> lengths, IReadOnlyList<double> k, double tau) =>
        Laplace.Cdf(Margins(logits, lengths, k, tau));

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
        int rows = logits.Numel / n;
        return RowMargins(logits, Enumerable.Repeat(n, rows).ToArray(), Enumerable.Repeat(k, rows).ToArray(), tau);
    }

    /// <summary>
    /// The margins (B, N_max) of a padded batch, as <see cref="Forward(Tensor, IReadOnlyList{int}, IReadOnlyList{double}, double)"/>
    /// describes: each row's real tokens as <see cref="Margins(Tensor, double, double)"/> of that row alone, −∞ at padded
    /// slots (α = 0), +∞ on every token of a row with K_i = N_i (α = 1).
    /// </summary>
    /// <exception cref="ArgumentException">Logits not (B, N_max), or lengths / budgets that do not fit (named).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A K_i not in (0, N_i], or τ not a positive finite number.</exception>
    /// <exception cref="NonFiniteValueException">A real token's logit is NaN or infinite.</exception>
    public static Tensor Margins(Tensor logits, IReadOnlyList<int> lengths, IReadOnlyList<double> k, double tau)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank != 2) throw new ArgumentException($"soft top-K of a padded batch needs logits (B, N_max); got {logits.Describe()}", nameof(logits));
        int b = logits.Shape[0], slots = logits.Shape[1];
        if (lengths.Count != b || k.Count != b)
            throw new ArgumentException($"{lengths.Count} token counts and {k.Count} budgets for {b} rows of logits: give one of each per row");
        for (int r = 0; r < b; r++)
        {
            if (lengths[r] < 1 || lengths[r] > slots)
                throw new ArgumentException($"row {r} holds N = {lengths[r]} tokens in {slots} slots: N must be in 1..{slots}", nameof(lengths));
            if (!(k[r] > 0 && k[r] <= lengths[r]))
                throw new ArgumentOutOfRangeException(nameof(k), $"soft top-K of row {r} needs 0 < K ≤ N (got K = {k[r]}, N = {lengths[r]})");
        }
        return RowMargins(logits, lengths, k, tau);
    }

    /// <summary>Margins of each row's first lengths[r] slots at budget k[r] (0 &lt; k[r] ≤ lengths[r], checked by the caller).</summary>
    static Tensor RowMargins(Tensor logits, IReadOnlyList<int> lengths, IReadOnlyList<double> k, double tau)
    {
        if (!(tau > 0) || double.IsInfinity(tau)) throw new ArgumentOutOfRangeException(nameof(tau), $"temperature τ must be a positive finite number (got {tau})");
        int slots = logits.Shape[^1], rows = logits.Numel / slots;
        var margins = new double[logits.Numel];
        var src = logits.Data;
        var z = new double[slots];
        for (int r = 0; r < rows; r++)
        {
            int n = lengths[r];
            var row = z.AsSpan(0, n);
            for (int i = 0; i < n; i++) row[i] = src[r * slots + i] / tau;
            foreach (double v in row)
                if (!double.IsFinite(v)) throw new NonFiniteValueException($"row {r} of the scorer logits holds a non-finite value", nameof(logits));
            // K = N: the threshold runs to −∞ and every token is kept whole
            double b = k[r] < n ? Threshold(row, k[r]) : double.NegativeInfinity;
            for (int i = 0; i < n; i++) margins[r * slots + i] = row[i] - b;
            margins.AsSpan(r * slots + n, slots - n).Fill(double.NegativeInfinity);
        }
        var output = Tensor.FromArray(margins.Select(v => (float)v).ToArray(), logits.Shape);
        var counts = lengths.ToArray();
        return Autograd.Function("soft_top_k", output, [logits], gy => [Backward(gy, margins, counts, slots, tau)]);
    }

    static Tensor Backward(Tensor gy, double[] margins, int[] lengths, int slots, double tau)
    {
        var gs = Tensor.Zeros(gy.Shape);                // padded slots and rows with K = N stay 0
        var g = gy.Data;
        var d = gs.Data;
        var q = new double[slots];
        for (int r = 0; r * slots < margins.Length; r++)
        {
            int n = lengths[r];
            var x = margins.AsSpan(r * slots, n);
            if (double.IsPositiveInfinity(x[0])) continue;
            // q = f / Σf with f = ½e^{−|x|}, shifted by the smallest |x| so that far-apart logits cannot underflow Σf to 0
            double nearest = double.PositiveInfinity;
            foreach (double v in x) nearest = Math.Min(nearest, Math.Abs(v));
            double total = 0, sumH = 0;
            for (int i = 0; i < n; i++)
            {
                q[i] = Math.Exp(nearest - Math.Abs(x[i]));
                total += q[i];
                sumH += g[r * slots + i];
            }
            for (int i = 0; i < n; i++) d[r * slots + i] = (float)((g[r * slots + i] - q[i] / total * sumH) / tau);
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
