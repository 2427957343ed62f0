using DiffPrune.Models.Llama;
using DiffPrune.Models.Vlm;

namespace DiffPrune.Pruning;

/// <summary>
/// A method that prunes before the LLM: <see cref="Prune"/> maps the N visual tokens of each image to K, in original
/// order (merged tokens stand for their target's patch), and is the decision a profile times.
/// </summary>
public abstract class PreLlmPruner : IPruningMethod
{
    /// <summary>A method called <paramref name="name"/> keeping <paramref name="keep"/> tokens (checked against N when it runs).</summary>
    /// <exception cref="ArgumentOutOfRangeException">K &lt; 1.</exception>
    protected PreLlmPruner(string name, int keep)
    {
        if (keep < 1) throw new ArgumentOutOfRangeException(nameof(keep), $"{name} must keep at least 1 token (got K = {keep})");
        Name = name;
        Keep = keep;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public string Location => "Pre";

    /// <inheritdoc/>
    public int Keep { get; }

    /// <inheritdoc/>
    public virtual bool NeedsVisionAttentions => false;

    /// <inheritdoc/>
    public bool NeedsText => false;

    /// <inheritdoc/>
    public Func<VisualTokens, VisualTokens>? PreLlm => Prune;

    /// <inheritdoc/>
    public IReadOnlyList<ITokenDropper> Droppers => [];

    /// <summary>Keeps <see cref="Keep"/> tokens of each image.</summary>
    /// <exception cref="ArgumentOutOfRangeException">K exceeds the tokens there are.</exception>
    public abstract VisualTokens Prune(VisualTokens tokens);
}
