namespace DiffPrune.Probes;

/// <summary>The two ways of training a scorer that the pilot probe compares.</summary>
public enum ProbeMethod
{
    /// <summary>Soft Top-K α = Φ_K(s/τ) and VP-Noise on the patch tokens: every operator's backward is its own analytic derivative.</summary>
    DiffPrune,

    /// <summary>Hard top-K of s + g in the forward pass (the encoder sees only the K tokens), Soft Top-K's gradient in the backward pass (Eq. 1).</summary>
    GumbelSte,
}

/// <summary>Names of <see cref="ProbeMethod"/> for reports.</summary>
public static class ProbeMethods
{
    /// <summary>"DiffPrune" or "Gumbel-STE".</summary>
    public static string DisplayName(this ProbeMethod method) => method == ProbeMethod.DiffPrune ? "DiffPrune" : "Gumbel-STE";

    /// <summary>"diffprune" or "gumbel-ste", for file names.</summary>
    public static string Slug(this ProbeMethod method) => method == ProbeMethod.DiffPrune ? "diffprune" : "gumbel-ste";
}
