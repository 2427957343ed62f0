using DiffPrune.Models.Llama;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Tensors;

namespace DiffPrune.Eval.Profiling;

/// <summary>
/// How many tokens a VLM computes on for one prompt under a pruning method: the visual tokens that go through the
/// projector (N, or K after a pre-LLM method) and the sequence length entering each decoder layer. Layers before an
/// in-LLM stage see the whole sequence; from a stage's layer on, the length is what its decision kept.
/// </summary>
/// <param name="ProjectedTokens">Visual tokens projected into the LLM.</param>
/// <param name="LayerTokens">Per decoder layer, in order, the tokens it computes on (visual and text).</param>
public sealed record TokenSchedule(int ProjectedTokens, IReadOnlyList<int> LayerTokens)
{
    /// <summary>A schedule without in-LLM stages: every one of <paramref name="depth"/> layers sees <paramref name="sequenceTokens"/>.</summary>
    public static TokenSchedule Constant(int projectedTokens, int sequenceTokens, int depth) =>
        new(projectedTokens, Enumerable.Repeat(sequenceTokens, depth).ToArray());

    /// <summary>
    /// The schedule of a prefill of <paramref name="sequenceTokens"/> tokens through <paramref name="depth"/> layers in which
    /// each stage (<paramref name="stageLayers"/>, ascending) kept <paramref name="stageCounts"/> tokens.
    /// </summary>
    /// <exception cref="ArgumentException">Stages out of order, outside 1..depth − 1, or counts that do not match them.</exception>
    public static TokenSchedule FromStages(int projectedTokens, int sequenceTokens, int depth, IReadOnlyList<int> stageLayers, IReadOnlyList<int> stageCounts)
    {
        if (stageLayers.Count != stageCounts.Count) throw new ArgumentException($"{stageLayers.Count} stage layers but {stageCounts.Count} stage counts");
        for (int s = 0; s < stageLayers.Count; s++)
            if (stageLayers[s] < 1 || stageLayers[s] >= depth || (s > 0 && stageLayers[s] <= stageLayers[s - 1]))
                throw new ArgumentException($"stage layers {string.Join(", ", stageLayers)} must ascend inside 1..{depth - 1}");
        var tokens = new int[depth];
        int current = sequenceTokens, next = 0;
        for (int l = 0; l < depth; l++)
        {
            if (next < stageLayers.Count && stageLayers[next] == l) current = stageCounts[next++];
            tokens[l] = current;
        }
        return new TokenSchedule(projectedTokens, tokens);
    }

    /// <summary>
    /// Runs <paramref name="method"/> once on <paramref name="vlm"/> (batch 1) and reads the schedule off its decisions.
    /// Token counts depend only on N, K and the depth for every registered method, so a narrow stand-in model of the
    /// right N and depth gives a wide model's schedule.
    /// </summary>
    public static TokenSchedule Observe(LlavaModel vlm, IPruningMethod method, Tensor pixels, int[] promptIds)
    {
        var inference = new VlmInference(vlm);
        return Observe(inference, method, inference.Encode(pixels, method.NeedsVisionAttentions), promptIds);
    }

    /// <summary>
    /// The schedule of <paramref name="method"/> on visual tokens <paramref name="encoded"/> (batch 1, already encoded by
    /// <paramref name="inference"/>'s model: a LLaVA-NeXT image's tiled sequence with its newlines, say).
    /// </summary>
    public static TokenSchedule Observe(VlmInference inference, IPruningMethod method, VisualTokens encoded, int[] promptIds)
    {
        using var _ = Autograd.NoGrad();
        var kept = VlmInference.PruneBefore(encoded, method);
        var input = inference.Assemble(kept, [promptIds], method.Droppers);
        var output = inference.Prefill(input);
        return FromStages(kept.Count, input.Embeds.Shape[1], inference.Model.LanguageModel.Config.NumLayers,
            method.Droppers.Select(d => d.Layer).Order().ToArray(), output.Decisions.Select(d => d.Count).ToArray());
    }

    /// <summary>Number of layers.</summary>
    public int Depth => LayerTokens.Count;

    /// <summary>"640 × 2, 128 × 30": runs of equal lengths, in layer order.</summary>
    public string Describe()
    {
        var runs = new List<(int Tokens, int Layers)>();
        foreach (int t in LayerTokens)
            if (runs.Count > 0 && runs[^1].Tokens == t) runs[^1] = (t, runs[^1].Layers + 1);
            else runs.Add((t, 1));
        return string.Join(", ", runs.Select(r => $"{r.Tokens} × {r.Layers}"));
    }
}
