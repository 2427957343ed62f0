using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;

namespace DiffPrune.Pruning.Baselines;

/// <summary>
/// Random pruning before the LLM: each image keeps <see cref="Keep"/> of its visual tokens drawn uniformly without
/// replacement, in their original order. The floor every learned or heuristic method must beat.
/// </summary>
public sealed class RandomPruner
{
    readonly Generator _gen;

    /// <summary>Tokens kept per image.</summary>
    public int Keep { get; }

    /// <summary>A pruner that keeps <paramref name="keep"/> tokens, drawing from <paramref name="seed"/> (same seed and calls, same tokens).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="keep"/> &lt; 1.</exception>
    public RandomPruner(int keep, ulong seed)
    {
        if (keep < 1) throw new ArgumentOutOfRangeException(nameof(keep), $"random pruning must keep at least 1 token (got {keep})");
        Keep = keep;
        _gen = new Generator(seed);
    }

    /// <summary>Keeps <see cref="Keep"/> random tokens of each sample.</summary>
    /// <exception cref="ArgumentOutOfRangeException">More tokens to keep than the images have.</exception>
    public VisualTokens Prune(VisualTokens tokens)
    {
        if (Keep > tokens.Count)
            throw new ArgumentOutOfRangeException(nameof(tokens), $"cannot keep {Keep} of {tokens.Count} visual tokens (K must be in 1..N)");
        var keep = Enumerable.Range(0, tokens.Features.Shape[0]).Select(_ => _gen.Permutation(tokens.Count)[..Keep]).ToArray();
        return tokens.Select(keep);
    }
}
