using DiffPrune.Tensors;

namespace DiffPrune.Models.Llama;

/// <summary>Where the image tokens sit in one sample's current sequence.</summary>
public readonly record struct ImageSpan(int Start, int Length)
{
    /// <summary>True when index <paramref name="i"/> is an image token.</summary>
    public bool Contains(int i) => i >= Start && i < Start + Length;
}

/// <summary>What an in-LLM pruner sees just before layer <see cref="ITokenDropper.Layer"/> runs.</summary>
/// <param name="Hidden">Hidden states entering the layer (B, T, d).</param>
/// <param name="Attention">Attention probabilities of the previous layer (B, H, T, S), when requested.</param>
/// <param name="Positions">Position ids (B·T).</param>
/// <param name="Valid">Validity per token (B·T); false for padding.</param>
/// <param name="ImageSpans">Image token span per sample.</param>
/// <param name="Model">The language model (for methods that read a layer's projections).</param>
public sealed record TokenDropContext(Tensor Hidden, Tensor? Attention, int[] Positions, bool[] Valid, ImageSpan[] ImageSpans, LlamaForCausalLM Model);

/// <summary>
/// Drops tokens inside the language model (FastV-type methods): from <see cref="Layer"/> on, dropped tokens have
/// no hidden state and no KV entries. Retained tokens keep their order and position ids.
/// </summary>
public interface ITokenDropper
{
    /// <summary>First layer that no longer sees the dropped tokens (≥ 1).</summary>
    int Layer { get; }

    /// <summary>Whether <see cref="Keep"/> needs the attention probabilities of layer <see cref="Layer"/> − 1.</summary>
    bool NeedsAttention { get; }

    /// <summary>Per sample, the ascending indices (into the current T tokens) to keep; every sample must keep as many.</summary>
    int[][] Keep(TokenDropContext context);
}
