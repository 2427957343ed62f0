using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Probes;

/// <summary>
/// The pilot probe's scorer (paper §3.2): a two-layer MLP that maps each patch token (with its position) to one logit,
/// inserted between the patch embedding and the frozen encoder.
/// </summary>
public sealed class ProbeScorer : Module
{
    /// <summary>d → hidden → 1 with GELU (<c>mlp.fc1</c>, <c>mlp.fc2</c>).</summary>
    public Mlp Mlp { get; }

    /// <summary>A scorer for tokens of width <paramref name="dim"/> with <paramref name="hidden"/> hidden units.</summary>
    public ProbeScorer(int dim, int hidden, Generator gen) => Mlp = Child("mlp", new Mlp(dim, hidden, Activation.Gelu, gen, outDim: 1));

    /// <summary>Tokens (B, N, d) → logits (B, N).</summary>
    public Tensor Forward(Tensor tokens)
    {
        var logits = Mlp.Forward(tokens);
        return logits.Reshape(logits.Shape[0], logits.Shape[1]);
    }
}
