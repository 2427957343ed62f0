using DiffPrune.Models.Llama;
using DiffPrune.Models.Vlm;

namespace DiffPrune.Pruning.Baselines;

/// <summary>The unpruned VLM, the upper bound of every table: all N visual tokens, no hooks.</summary>
/// <param name="imageTokens">N, which it keeps.</param>
public sealed class Vanilla(int imageTokens) : IPruningMethod
{
    /// <inheritdoc/>
    public string Name => "Vanilla";

    /// <inheritdoc/>
    public string Location => "–";

    /// <summary>All N tokens.</summary>
    public int Keep => imageTokens;

    /// <inheritdoc/>
    public bool NeedsVisionAttentions => false;

    /// <inheritdoc/>
    public bool NeedsText => false;

    /// <inheritdoc/>
    public Func<VisualTokens, VisualTokens>? PreLlm => null;

    /// <inheritdoc/>
    public IReadOnlyList<ITokenDropper> Droppers => [];
}
