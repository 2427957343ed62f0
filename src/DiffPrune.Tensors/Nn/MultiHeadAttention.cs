namespace DiffPrune.Tensors.Nn;

/// <summary>
/// Multi-head self-attention with separate q/k/v/out projections (CLIP/ViT names: <c>q_proj</c>, <c>k_proj</c>,
/// <c>v_proj</c>, <c>out_proj</c>). Masks as in <see cref="F.ScaledDotProductAttention"/>.
/// </summary>
public sealed class MultiHeadAttention : Module
{
    /// <summary>Query projection.</summary>
    public Linear QProj { get; }
    /// <summary>Key projection.</summary>
    public Linear KProj { get; }
    /// <summary>Value projection.</summary>
    public Linear VProj { get; }
    /// <summary>Output projection.</summary>
    public Linear OutProj { get; }
    /// <summary>Number of heads.</summary>
    public int Heads { get; }

    /// <summary>Creates the layer; <paramref name="dim"/> must be divisible by <paramref name="heads"/>.</summary>
    public MultiHeadAttention(int dim, int heads, Generator gen, bool bias = true)
    {
        if (heads <= 0 || dim % heads != 0) throw new ArgumentException($"attention width {dim} is not divisible by {heads} heads");
        Heads = heads;
        KProj = Child("k_proj", new Linear(dim, dim, bias, gen));
        VProj = Child("v_proj", new Linear(dim, dim, bias, gen));
        QProj = Child("q_proj", new Linear(dim, dim, bias, gen));
        OutProj = Child("out_proj", new Linear(dim, dim, bias, gen));
    }

    /// <summary>x (B, T, C) → (B, T, C); optionally also the attention probabilities (B, H, T, T). Key weights (B, T)
    /// as in <see cref="F.ScaledDotProductAttention"/>.</summary>
    public (Tensor Output, Tensor? Probs) Forward(Tensor x, AttentionMask? mask = null, bool returnProbs = false, Tensor? keyWeights = null)
    {
        if (keyWeights == null)
        {
            // fused: heads read in place from the (B, T, C) projections, no transposed copies
            var (fused, p) = F.Attention(QProj.Forward(x), KProj.Forward(x), VProj.Forward(x), Heads, Heads, mask, returnProbs: returnProbs);
            return (OutProj.Forward(fused), p);
        }
        int b = x.Shape[0], t = x.Shape[1], c = x.Shape[2], hd = c / Heads;
        Tensor Split(Linear proj) => proj.Forward(x).Reshape(b, t, Heads, hd).Transpose(1, 2); // (B, H, T, hd)
        var (o, probs) = F.ScaledDotProductAttention(Split(QProj), Split(KProj), Split(VProj), mask, returnProbs: returnProbs, keyWeights: keyWeights);
        return (OutProj.Forward(o.Transpose(1, 2).Reshape(b, t, c)), probs);
    }
}
