using System.Runtime.InteropServices;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Tensors.Distributed;

namespace DiffPrune.Eval;

/// <summary>
/// A pre-LLM method's hooks that also record how many tokens each image kept: <see cref="VlmInference.Generate"/> prunes
/// each distinct image once, so the counts are one per image, whatever number of questions it has.
/// </summary>
/// <param name="method">The method (its pre-LLM function is counted; its in-LLM stages run unchanged).</param>
public sealed class KeptTokenCounter(IPruningHooks method) : IPruningHooks
{
    readonly List<int> _counts = [];

    /// <inheritdoc/>
    public bool NeedsVisionAttentions => method.NeedsVisionAttentions;

    /// <inheritdoc/>
    public Func<VisualTokens, VisualTokens>? PreLlm => method.PreLlm is { } preLlm ? tokens => Count(preLlm(tokens)) : null;

    /// <inheritdoc/>
    public IReadOnlyList<ITokenDropper> Droppers => method.Droppers;

    /// <summary>
    /// What the images pruned so far kept, on every rank of <paramref name="world"/> together (each rank prunes its share of
    /// the images); null before any (or for a method without a pre-LLM function).
    /// </summary>
    public KeptTokenStats? Kept(Communicator world)
    {
        var all = world.AllGather(MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(_counts)))
            .SelectMany(part => MemoryMarshal.Cast<byte, int>(part).ToArray()).ToArray();
        return all.Length == 0 ? null : KeptTokenStats.Of(all);
    }

    VisualTokens Count(VisualTokens kept)
    {
        for (int i = 0; i < kept.PatchIndex.Length; i++) _counts.Add(kept.CountOf(i));
        return kept;
    }
}
