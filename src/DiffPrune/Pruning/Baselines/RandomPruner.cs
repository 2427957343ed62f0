using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;

namespace DiffPrune.Pruning.Baselines;

/// <summary>
/// Random pruning before the LLM: each image keeps <see cref="PreLlmPruner.Keep"/> of its visual tokens drawn uniformly without
/// replacement, in their original order. The floor every learned or heuristic method must beat.
/// </summary>
public sealed class RandomPruner : PreLlmPruner
{
    readonly Generator _gen;

    /// <summary>A pruner that keeps <paramref name="keep"/> tokens, drawing from <paramref name="seed"/> (same seed and calls, same tokens).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="keep"/> &lt; 1.</exception>
    public RandomPruner(int keep, ulong seed) : base("Random", keep) => _gen = new Generator(seed);

    /// <summary>Keeps <see cref="PreLlmPruner.Keep"/> random tokens of each sample.</summary>
    /// <exception cref="ArgumentOutOfRangeException">More tokens to keep than the images have.</exception>
    public override VisualTokens Prune(VisualTokens tokens)
    {
        TokenBudget.Check(Keep, tokens.Count, nameof(tokens));
        var keep = Enumerable.Range(0, tokens.Features.Shape[0]).Select(_ => _gen.Permutation(tokens.Count)[..Keep]).ToArray();
        return tokens.Select(keep);
    }
}
