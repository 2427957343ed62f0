namespace DiffPrune.Tensors.Nn;

/// <summary>
/// Pre-norm Transformer encoder block, CLIP layout and names:
/// x += self_attn(layer_norm1(x)); x += mlp(layer_norm2(x)).
/// </summary>
public sealed class TransformerBlock : Module
{
    /// <summary>Norm before attention.</summary>
    public LayerNorm LayerNorm1 { get; }
    /// <summary>Self-attention.</summary>
    public MultiHeadAttention SelfAttn { get; }
    /// <summary>Norm before the MLP.</summary>
    public LayerNorm LayerNorm2 { get; }
    /// <summary>Feed-forward block.</summary>
    public Mlp Mlp { get; }

    /// <summary>Creates the block.</summary>
    public TransformerBlock(int dim, int heads, int mlpHidden, Activation act, Generator gen, float eps = 1e-5f)
    {
        SelfAttn = Child("self_attn", new MultiHeadAttention(dim, heads, gen));
        LayerNorm1 = Child("layer_norm1", new LayerNorm(dim, eps));
        Mlp = Child("mlp", new Mlp(dim, mlpHidden, act, gen));
        LayerNorm2 = Child("layer_norm2", new LayerNorm(dim, eps));
    }

    /// <summary>x (B, T, C) → (B, T, C), plus attention probabilities when asked; optional key weights (B, T) as in
    /// <see cref="F.ScaledDotProductAttention"/>.</summary>
    public (Tensor Output, Tensor? Probs) Forward(Tensor x, AttentionMask? mask = null, bool returnProbs = false, Tensor? keyWeights = null)
    {
        var (a, probs) = SelfAttn.Forward(LayerNorm1.Forward(x), mask, returnProbs, keyWeights);
        var h = x.Add(a);
        return (h.Add(Mlp.Forward(LayerNorm2.Forward(h))), probs);
    }
}
