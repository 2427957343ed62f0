using DiffPrune.Models.Llama;
using DiffPrune.Models.Vlm;

namespace DiffPrune.Pruning;

/// <summary>
/// A method at a kept rate (the paper's budget for Qwen2.5-VL, whose images give different N): each image keeps
/// K_i = round(rate × N_i) of its own N_i tokens (<see cref="TokenBudget.FromRate(double, int)"/>), by the method built at
/// K_i. Each K_i's method is built once and kept, so a seeded method (Random) draws on from its stream as it does at one K.
/// A pre-LLM method prunes image by image; a one-stage in-LLM method (FastV, DART) decides a batch at once, so its batch
/// holds images of one N (<see cref="VlmInference.Generate"/> forms such batches).
/// </summary>
public sealed class PerImageRate : IPruningMethod
{
    readonly Func<int, IPruningMethod> _atKeep;
    readonly double _rate;
    readonly Dictionary<int, IPruningMethod> _built = [];

    /// <summary>The method <paramref name="atKeep"/> builds, at <paramref name="rate"/>; <paramref name="keep"/> is the K its
    /// rows are labelled with (round(rate × N) of a typical image).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A rate outside (0, 1], or K &lt; 1.</exception>
    /// <exception cref="ArgumentException">A method that prunes at several places (before and in the LLM, or at several LLM
    /// layers, each stage with its own K) or not at all.</exception>
    public PerImageRate(Func<int, IPruningMethod> atKeep, double rate, int keep)
    {
        _ = TokenBudget.FromRate(rate, 1); // a bad rate is refused here, not at the first image
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        var probe = atKeep(keep);
        if (!RunsAtRate(probe))
            throw new ArgumentException($"{probe.Name} {(probe.Droppers.Count > 1 ? $"prunes at {probe.Droppers.Count} LLM layers, each stage with its own K," : "does not prune")} " +
                "so it cannot keep K_i = round(rate × N_i) of each image's own N_i: at a rate (native-resolution images) compare methods that prune once, " +
                "before the LLM (DiffPrune, DivPrune, Random) or at one LLM layer (FastV, DART)");
        _atKeep = atKeep;
        _rate = rate;
        _built[keep] = probe;
        Name = probe.Name;
        Location = probe.Location;
        Keep = keep;
        NeedsVisionAttentions = probe.NeedsVisionAttentions;
        NeedsText = probe.NeedsText;
        Droppers = probe.PreLlm == null ? [new RateStage(this, probe.Droppers[0])] : [];
    }

    /// <summary>Whether <paramref name="method"/> prunes once, before the LLM or at one LLM layer, as a rate needs.</summary>
    public static bool RunsAtRate(IPruningHooks method) => method.PreLlm != null ? method.Droppers.Count == 0 : method.Droppers.Count == 1;

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public string Location { get; }

    /// <summary>The K rows are labelled with; each image keeps its own K_i.</summary>
    public int Keep { get; }

    /// <inheritdoc/>
    public bool NeedsVisionAttentions { get; }

    /// <inheritdoc/>
    public bool NeedsText { get; }

    /// <inheritdoc/>
    public Func<VisualTokens, VisualTokens>? PreLlm => Droppers.Count == 0 ? Prune : null;

    /// <inheritdoc/>
    public IReadOnlyList<ITokenDropper> Droppers { get; }

    /// <summary>Keeps K_i = round(rate × N_i) of each image's N_i tokens (image by image in a padded batch).</summary>
    /// <exception cref="InvalidOperationException">An in-LLM method (it prunes through <see cref="Droppers"/>).</exception>
    public VisualTokens Prune(VisualTokens tokens)
    {
        if (Droppers.Count > 0) throw new InvalidOperationException($"{Name} prunes inside the LLM, not before it");
        if (tokens.IsPadded) return VisualTokens.Cat(Enumerable.Range(0, tokens.PatchIndex.Length).Select(i => Prune(tokens.Sample(i))).ToArray());
        return AtImageOf(tokens.Count).PreLlm!(tokens);
    }

    IPruningMethod AtImageOf(int tokens)
    {
        int keep = TokenBudget.FromRate(_rate, tokens);
        if (!_built.TryGetValue(keep, out var method)) _built[keep] = method = _atKeep(keep);
        return method;
    }

    /// <summary>The one in-LLM stage, deciding with the method built at the batch's K = round(rate × N).</summary>
    sealed class RateStage(PerImageRate owner, ITokenDropper probe) : ITokenDropper
    {
        public int Layer => probe.Layer;

        public bool NeedsAttention => probe.NeedsAttention;

        public TokenDropDecision Decide(TokenDropContext context)
        {
            var sizes = context.ImageSpans.Select(s => s.Length).Distinct().ToArray();
            if (sizes.Length != 1)
                throw new ArgumentException($"{owner.Name} at a rate decides one K for its batch, which holds images of N = {string.Join(", ", sizes)} " +
                    "tokens: batch images of one N together (VlmInference.Generate does)");
            return owner.AtImageOf(sizes[0]).Droppers[0].Decide(context);
        }
    }
}
