using System.Globalization;
using DiffPrune.Tensors;
using DiffPrune.Tensors.IO;
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
/// mask it works token by token, so it cannot smuggle dropped tokens' content into kept ones. Train-only in the paper;
/// training also stores it beside the best pruner (<see cref="FileName"/>) so that it can be measured deployed.
/// </summary>
public sealed class Denoiser : Module
{
    /// <summary>The file a training run writes the denoiser of its best pruner to, in the pruner folder.</summary>
    public const string FileName = "denoiser.safetensors";

    const string Format = "diffprune-denoiser";

    /// <summary>The block.</summary>
    public TransformerBlock Block { get; }

    /// <summary>The attention pattern.</summary>
    public DenoiserAttention Attention { get; }

    /// <summary>Attention heads of the block.</summary>
    public int Heads { get; }

    /// <summary>A denoiser for tokens of width <paramref name="dim"/>.</summary>
    public Denoiser(int dim, Generator gen, DenoiserAttention attention = DenoiserAttention.Diagonal, int? heads = null)
    {
        Heads = heads ?? Math.Max(1, dim / 64);
        Block = Child("block", new TransformerBlock(dim, Heads, 4 * dim, Activation.Gelu, gen));
        Attention = attention;
    }

    /// <summary>Writes the weights, attention pattern and heads to <paramref name="path"/> (atomically).</summary>
    public void Save(string path) => SafeTensors.Save(path, StateDict(), new Dictionary<string, string>
    {
        ["format"] = Format,
        ["attention"] = Attention.ToString(),
        ["heads"] = Heads.ToString(CultureInfo.InvariantCulture),
    });

    /// <summary>A denoiser for tokens of width <paramref name="dim"/> written by <see cref="Save"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not a denoiser file, or weights of another width (named).</exception>
    public static Denoiser Load(string path, int dim)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} does not exist: only pruners trained by this version of diffprune train carry their denoiser", path);
        var meta = SafeTensors.ReadMetadata(path);
        if (meta.GetValueOrDefault("format") != Format || !Enum.TryParse<DenoiserAttention>(meta.GetValueOrDefault("attention"), out var attention)
            || !int.TryParse(meta.GetValueOrDefault("heads"), NumberStyles.None, CultureInfo.InvariantCulture, out int heads) || heads < 1 || dim % heads != 0)
            throw new InvalidDataException($"{path} is not a denoiser for width {dim} written by diffprune train (format {Format}, attention, heads)");
        var denoiser = new Denoiser(dim, new Generator(0), attention, heads);
        using var file = SafeTensorsFile.Open(path);
        denoiser.LoadSafeTensors([file], strict: true, path);
        return denoiser;
    }

    /// <summary>Tokens (B, N, d_v) → (B, N, d_v).</summary>
    public Tensor Forward(Tensor tokens) =>
        Block.Forward(tokens, Attention == DenoiserAttention.Diagonal ? AttentionMask.Identity : null).Output;

    /// <summary>
    /// Tokens (B, N_max, d_v) of a padded batch, row i's first <paramref name="lengths"/>[i] real → (B, N_max, d_v). The
    /// diagonal denoiser works token by token anyway; the global one masks padded keys, so a real token's output is the one
    /// its image alone gives (to float rounding). Padded slots come out transformed too, and mean nothing.
    /// </summary>
    /// <exception cref="ArgumentException">Tokens not (B, N_max, d_v), or lengths that do not fit them (named).</exception>
    public Tensor Forward(Tensor tokens, IReadOnlyList<int> lengths)
    {
        var padding = KeyPadding.Of(tokens, lengths);
        return Block.Forward(tokens, Attention == DenoiserAttention.Diagonal ? AttentionMask.Identity : padding).Output;
    }
}
