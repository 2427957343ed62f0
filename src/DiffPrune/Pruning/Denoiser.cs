using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Pruning;

/// <summary>Which tokens the denoiser's attention may read.</summary>
public enum DenoiserAttention
{
    /// <summary>Each token attends only to itself (DiffPrune's diagonal-attention denoiser): no information crosses tokens.</summary>
    Diagonal,
    /// <summary>Ordinary global self-attention (the Table 5 ablation): a dropped token's content can leak into kept ones.</summary>
    Global,
}

/// <summary>
/// DiffPrune's denoiser D_φ: one Transformer block between the throttler and the projector that maps noisy,
/// throttled tokens back towards the feature distribution the frozen projector and LLM expect. With the diagonal
/// mask it works token by token, so it cannot smuggle dropped tokens' content into kept ones. Train-only.
/// </summary>
public sealed class Denoiser : Module
{
    /// <summary>The block.</summary>
    public TransformerBlock Block { get; }

    /// <summary>The attention pattern.</summary>
    public DenoiserAttention Attention { get; }

    /// <summary>A denoiser for tokens of width <paramref name="dim"/>.</summary>
    public Denoiser(int dim, Generator gen, DenoiserAttention attention = DenoiserAttention.Diagonal, int? heads = null)
    {
        int h = heads ?? Math.Max(1, dim / 64);
        Block = Child("block", new TransformerBlock(dim, h, 4 * dim, Activation.Gelu, gen));
        Attention = attention;
    }

    /// <summary>Tokens (B, N, d_v) → (B, N, d_v).</summary>
    public Tensor Forward(Tensor tokens) =>
        Block.Forward(tokens, Attention == DenoiserAttention.Diagonal ? AttentionMask.Identity : null).Output;
}
