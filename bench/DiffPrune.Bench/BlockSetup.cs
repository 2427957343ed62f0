using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Bench;

/// <summary>
/// The benchmark model: one CLIP-style Transformer block, d = 256, 4 heads, MLP 1024 with GELU, on a batch of
/// <see cref="DefaultBatch"/> sequences of 160 tokens (a ViT-sized token count). Loss = mean of the output, so
/// backward reaches every op.
/// </summary>
internal sealed class BlockSetup
{
    public const int DefaultBatch = 8, Tokens = 160, Dim = 256, Heads = 4, Hidden = 1024;

    public TransformerBlock Block { get; }
    public Tensor Input { get; }   // (B, T, C)
    public int Batch { get; }

    public BlockSetup(int batch = DefaultBatch, ulong seed = 11)
    {
        var gen = new Generator(seed);
        Batch = batch;
        Block = new TransformerBlock(Dim, Heads, Hidden, Activation.Gelu, gen);
        Input = Tensor.Randn(gen, [batch, Tokens, Dim]);
    }

    /// <summary>Forward and backward; gradients accumulate into the parameters. Returns the loss.</summary>
    public float ForwardBackward()
    {
        var loss = Block.Forward(Input).Output.Mean();
        loss.Backward();
        return loss.Item();
    }

    /// <summary>Forward only, no graph recorded.</summary>
    public void Forward()
    {
        using (Autograd.NoGrad()) Block.Forward(Input);
    }

    /// <summary>Multiply-adds of one forward pass ×2: the four d×d projections and two MLP layers, plus q·kᵀ and p·v.</summary>
    public double ForwardFlops()
    {
        double rows = Batch * Tokens;
        double linear = rows * (4.0 * Dim * Dim + 2.0 * Dim * Hidden);
        double attention = 2.0 * Batch * Tokens * Tokens * Dim;
        return 2 * (linear + attention);
    }
}
