using DiffPrune.Tensors;

namespace DiffPrune.Models.Llama;

/// <summary>Where the image tokens sit in one sample's current sequence.</summary>
public readonly record struct ImageSpan(int Start, int Length)
{
    /// <summary>True when index <paramref name="i"/> is an image token.</summary>
    public bool Contains(int i) => i >= Start && i < Start + Length;

    /// <summary>One past the last image token.</summary>
    public int End => Start + Length;
}

/// <summary>What an in-LLM pruner sees just before layer <see cref="ITokenDropper.Layer"/> runs. Its tensors are valid while
/// the pruner decides: without autograd their buffers return to the engine's pool once the layer after has run, so a
/// pruner that wants them later copies them (<see cref="Tensor.Clone"/>).</summary>
/// <param name="Hidden">Hidden states entering the layer (B, T, d).</param>
/// <param name="PreviousInput">Hidden states that entered layer <see cref="ITokenDropper.Layer"/> − 1, for the same T
/// tokens (B, T, d): methods that read that layer's keys (DART) project them again.</param>
/// <param name="Attention">Attention probabilities of the previous layer (B, H, T, S), when requested; with a KV cache
/// the current tokens' keys are the last T of the S.</param>
/// <param name="Positions">Position ids (B·T), or with M-RoPE three planes of them (3·B·T: <see cref="PositionPlanes"/>).</param>
/// <param name="Valid">Validity per token (B·T); false for padding.</param>
/// <param name="ImageSpans">Image token span per sample.</param>
/// <param name="Input">The decoder input as given, before any dropping (SparseVLM reads its text raters from the input embeddings).</param>
/// <param name="Model">The language model (for methods that read a layer's projections).</param>
public sealed record TokenDropContext(Tensor Hidden, Tensor PreviousInput, Tensor? Attention, int[] Positions, bool[] Valid,
    ImageSpan[] ImageSpans, DecoderInput Input, LlamaForCausalLM Model)
{
    /// <summary>Batch size B.</summary>
    public int Batch => Hidden.Shape[0];

    /// <summary>Current sequence length T.</summary>
    public int Tokens => Hidden.Shape[1];
}

/// <summary>
/// One dropping stage's decision for the current tokens of every sample: the tokens that stay and, optionally, dropped
/// tokens whose hidden states are averaged into a kept one (token merging, e.g. SparseVLM's recycling).
/// </summary>
/// <param name="Keep">Per sample, ascending indices (into the current T tokens) of the tokens that stay; every sample keeps as many.</param>
/// <param name="MergeInto">Null for plain dropping; otherwise per sample and current token, the slot in Keep[b] whose
/// hidden state it joins, or −1. A kept token's entry is −1 or its own slot. Slot s continues as the mean of its kept
/// token and every token merged into it.</param>
public sealed record TokenDropDecision(int[][] Keep, int[][]? MergeInto = null)
{
    /// <summary>Tokens kept per sample.</summary>
    public int Count => Keep.Length == 0 ? 0 : Keep[0].Length;

    /// <summary>Throws unless the decision fits a batch of <paramref name="batch"/> sequences of <paramref name="tokens"/> tokens.</summary>
    /// <exception cref="ArgumentException">Names the sample and what is wrong.</exception>
    public void Validate(int batch, int tokens)
    {
        if (Keep.Length != batch) throw new ArgumentException($"token dropper returned {Keep.Length} keep lists for batch {batch}");
        if (MergeInto != null && MergeInto.Length != batch) throw new ArgumentException($"token dropper returned {MergeInto.Length} merge lists for batch {batch}");
        for (int i = 0; i < batch; i++)
        {
            var ki = Keep[i];
            if (ki.Length != Count) throw new ArgumentException($"token dropper kept {ki.Length} tokens of sample {i} but {Count} of sample 0; every sample must keep as many");
            for (int j = 0; j < ki.Length; j++)
                if (ki[j] < 0 || ki[j] >= tokens || (j > 0 && ki[j] <= ki[j - 1]))
                    throw new ArgumentException($"token dropper: keep list of sample {i} must be ascending indices in 0..{tokens - 1}");
            if (MergeInto != null) ValidateMerges(i, tokens);
        }
    }

    void ValidateMerges(int sample, int tokens)
    {
        var into = MergeInto![sample];
        if (into.Length != tokens) throw new ArgumentException($"token dropper: merge list of sample {sample} has {into.Length} entries for {tokens} tokens");
        for (int j = 0; j < tokens; j++)
            if (into[j] < -1 || into[j] >= Count) throw new ArgumentException($"token dropper: token {j} of sample {sample} merges into slot {into[j]}, outside −1..{Count - 1}");
        for (int s = 0; s < Count; s++)
            if (into[Keep[sample][s]] is var own && own != -1 && own != s)
                throw new ArgumentException($"token dropper: kept token {Keep[sample][s]} of sample {sample} cannot merge into another slot ({own})");
    }

    /// <summary>
    /// The hidden states (B, T, d) of the kept tokens (B, K, d) in order: a gather, or with merges each slot's mean
    /// over its kept token and the tokens merged into it. Differentiable.
    /// </summary>
    public Tensor Gather(Tensor hidden)
    {
        int b = hidden.Shape[0], t = hidden.Shape[1], d = hidden.Shape[2], k = Count;
        Validate(b, t);
        var flat = hidden.Reshape(b * t, d);
        var kept = Enumerable.Range(0, b).SelectMany(i => Keep[i].Select(j => i * t + j)).ToArray();
        if (MergeInto == null) return flat.IndexSelect(0, kept).Reshape(b, k, d);

        var sources = new List<int>();
        var slots = new List<int>();
        var counts = new float[b * k];
        for (int i = 0; i < b; i++)
            for (int j = 0; j < t; j++)
            {
                int slot = Keep[i].AsSpan().BinarySearch(j) is >= 0 and var own ? own : MergeInto[i][j];
                if (slot < 0) continue;
                sources.Add(i * t + j);
                slots.Add(i * k + slot);
                counts[i * k + slot]++;
            }
        var index = new IntTensor(slots.SelectMany(s => Enumerable.Repeat(s, d)).ToArray(), slots.Count, d);
        var sums = Tensor.Zeros(b * k, d).ScatterAdd(0, index, flat.IndexSelect(0, sources.ToArray()));
        return sums.Div(Tensor.FromArray(counts, b * k, 1)).Reshape(b, k, d);
    }
}

/// <summary>
/// Drops tokens inside the language model (FastV-type methods): from <see cref="Layer"/> on, dropped tokens have
/// no hidden state and no KV entries. Retained tokens keep their order and position ids (all three with M-RoPE); merged
/// tokens take the place and position ids of the kept token they join.
/// </summary>
public interface ITokenDropper
{
    /// <summary>First layer that no longer sees the dropped tokens (≥ 1).</summary>
    int Layer { get; }

    /// <summary>Whether <see cref="Decide"/> needs the attention probabilities of layer <see cref="Layer"/> − 1.</summary>
    bool NeedsAttention { get; }

    /// <summary>Which of the current tokens stay (and which merge into them), per sample; every sample keeps as many.</summary>
    TokenDropDecision Decide(TokenDropContext context);
}
