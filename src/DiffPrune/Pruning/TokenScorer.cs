using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Pruning;

/// <summary>
/// DiffPrune's scorer S_θ: two pre-norm Transformer encoder blocks over the visual tokens and a linear head that
/// gives one logit per token. Width is the vision feature width d_v; heads of 64 channels as in the paper
/// (d = 1024, 16 heads), at least one.
/// </summary>
public sealed class TokenScorer : Module
{
    /// <summary>The encoder blocks (<c>blocks.0</c>, <c>blocks.1</c>).</summary>
    public ModuleList<TransformerBlock> Blocks { get; }

    /// <summary>Norm before the head.</summary>
    public LayerNorm Norm { get; }

    /// <summary>d_v → 1.</summary>
    public Linear Head { get; }

    /// <summary>Feature width d_v.</summary>
    public int Width { get; }

    /// <summary>Attention heads per block.</summary>
    public int Heads { get; }

    /// <summary>A scorer for tokens of width <paramref name="dim"/> with <paramref name="heads"/> heads (default d/64, at least 1).</summary>
    public TokenScorer(int dim, Generator gen, int? heads = null, int layers = 2)
    {
        int h = heads ?? Math.Max(1, dim / 64);
        if (dim % h != 0) throw new ArgumentException($"scorer width {dim} is not divisible by {h} heads");
        Width = dim;
        Heads = h;
        Blocks = Child("blocks", new ModuleList<TransformerBlock>(Enumerable.Range(0, layers).Select(_ => new TransformerBlock(dim, h, 4 * dim, Activation.Gelu, gen))));
        Norm = Child("norm", new LayerNorm(dim));
        Head = Child("head", new Linear(dim, 1, true, gen));
    }

    /// <summary>
    /// Parameters of a scorer of width <paramref name="dim"/> with <paramref name="layers"/> blocks, without building it:
    /// per block two LayerNorms (4d), q/k/v/o with biases (4d² + 4d) and the 4d-wide MLP (8d² + 5d); then the final
    /// norm (2d) and the head (d + 1).
    /// </summary>
    /// <exception cref="OverflowException">The shape is too large to count in 64 bits.</exception>
    public static long ParameterCountOf(int dim, int layers)
    {
        long d = dim;
        return checked(layers * (12 * d * d + 13 * d) + 3 * d + 1);
    }

    /// <summary>Features (B, N, d_v) → logits (B, N).</summary>
    public Tensor Forward(Tensor features) => Forward(features, mask: null);

    /// <summary>
    /// Features (B, N_max, d_v) of a padded batch, row i's first <paramref name="lengths"/>[i] tokens real → logits (B, N_max).
    /// Attention keys at padded slots are masked, so a real token's logit is the one its image alone gives (to float
    /// rounding), whatever the (finite) padding holds; padded slots get logits too, which mean nothing.
    /// </summary>
    /// <exception cref="ArgumentException">Features not (B, N_max, d_v), or lengths that do not fit them (named).</exception>
    public Tensor Forward(Tensor features, IReadOnlyList<int> lengths) => Forward(features, KeyPadding.Of(features, lengths));

    Tensor Forward(Tensor features, AttentionMask? mask)
    {
        var h = features;
        foreach (var block in Blocks.Items) h = block.Forward(h, mask).Output;
        var logits = Head.Forward(Norm.Forward(h));
        return logits.Reshape(logits.Shape[0], logits.Shape[1]);
    }
}
