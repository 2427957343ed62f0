using DiffPrune.Models.Llama;
using DiffPrune.Models.Vlm;

namespace DiffPrune.Pruning;

/// <summary>
/// A pre-LLM method at a kept rate (the paper's budget for Qwen2.5-VL, whose images give different N): each image keeps
/// K_i = round(rate × N_i) of its own N_i tokens (<see cref="TokenBudget.FromRate(double, int)"/>), by the method built at
/// K_i. Each K_i's method is built once and kept, so a seeded method (Random) draws on from its stream as it does at one K.
/// </summary>
public sealed class PerImageRate : IPruningMethod
{
    readonly Func<int, IPruningMethod> _atKeep;
    readonly double _rate;
    readonly Dictionary<int, IPruningMethod> _built = [];

    /// <summary>The method <paramref name="atKeep"/> builds, at <paramref name="rate"/>; <paramref name="keep"/> is the K its
    /// rows are labelled with (round(rate × N) of a typical image).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A rate outside (0, 1], or K &lt; 1.</exception>
    /// <exception cref="ArgumentException">A method that prunes inside the LLM (its stages take one K for every image) or not at all.</exception>
    public PerImageRate(Func<int, IPruningMethod> atKeep, double rate, int keep)
    {
        _ = TokenBudget.FromRate(rate, 1); // a bad rate is refused here, not at the first image
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        var probe = atKeep(keep);
        if (probe.PreLlm == null || probe.Droppers.Count > 0)
            throw new ArgumentException($"{probe.Name} does not prune before the LLM, so it cannot keep K_i = round(rate × N_i) of each image's own N_i: " +
                "at a rate (native-resolution images) compare pre-LLM methods: DiffPrune, DivPrune, Random");
        _atKeep = atKeep;
        _rate = rate;
        _built[keep] = probe;
        Name = probe.Name;
        Keep = keep;
        NeedsVisionAttentions = probe.NeedsVisionAttentions;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public string Location => "Pre";

    /// <summary>The K rows are labelled with; each image keeps its own K_i.</summary>
    public int Keep { get; }

    /// <inheritdoc/>
    public bool NeedsVisionAttentions { get; }

    /// <inheritdoc/>
    public bool NeedsText => false;

    /// <inheritdoc/>
    public Func<VisualTokens, VisualTokens>? PreLlm => Prune;

    /// <inheritdoc/>
    public IReadOnlyList<ITokenDropper> Droppers => [];

    /// <summary>Keeps K_i = round(rate × N_i) of each image's N_i tokens (image by image in a padded batch).</summary>
    public VisualTokens Prune(VisualTokens tokens)
    {
        if (tokens.IsPadded) return VisualTokens.Cat(Enumerable.Range(0, tokens.PatchIndex.Length).Select(i => Prune(tokens.Sample(i))).ToArray());
        int keep = TokenBudget.FromRate(_rate, tokens.Count);
        if (!_built.TryGetValue(keep, out var method)) _built[keep] = method = _atKeep(keep);
        return method.PreLlm!(tokens);
    }
}
