using DiffPrune.Models.Llama;
using DiffPrune.Models.Vlm;

namespace DiffPrune.Pruning;

/// <summary>
/// A method that prunes inside the LLM: its stages are <see cref="ITokenDropper"/>s at layers chosen for the LLM's
/// depth, each deciding from the LLM's own states (so it reads the prompt too); a stage's
/// <see cref="ITokenDropper.Decide"/> is the decision a profile times.
/// </summary>
public abstract class InLlmPruner : IPruningMethod
{
    /// <summary>A method called <paramref name="name"/> keeping K = <paramref name="keep"/> of <paramref name="imageTokens"/> image tokens in an LLM of <paramref name="depth"/> layers.</summary>
    /// <exception cref="ArgumentOutOfRangeException">K outside 1..N.</exception>
    /// <exception cref="ArgumentException">An LLM with fewer than 2 layers (the first layer always sees every token).</exception>
    protected InLlmPruner(string name, int keep, int imageTokens, int depth)
    {
        Name = name;
        Keep = TokenBudget.Check(keep, imageTokens);
        if (depth < 2) throw new ArgumentException($"{name} prunes inside the LLM and needs at least 2 layers; this LLM has {depth}");
        Depth = depth;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public abstract string Location { get; }

    /// <inheritdoc/>
    public int Keep { get; }

    /// <summary>Layers of the LLM.</summary>
    public int Depth { get; }

    /// <inheritdoc/>
    public bool NeedsVisionAttentions => false;

    /// <inheritdoc/>
    public bool NeedsText => true;

    /// <inheritdoc/>
    public Func<VisualTokens, VisualTokens>? PreLlm => null;

    /// <inheritdoc/>
    public abstract IReadOnlyList<ITokenDropper> Droppers { get; }
}

/// <summary>An in-LLM method with one stage, at a published layer that stays put whatever the depth (FastV's and DART's layer 2: a shallow layer, not a fraction of 32), inside 1..L−1.</summary>
public abstract class SingleStagePruner : InLlmPruner, ITokenDropper
{
    /// <summary>A one-stage method called <paramref name="name"/> at <paramref name="publishedLayer"/> (see <see cref="InLlmPruner"/> for the rest).</summary>
    protected SingleStagePruner(string name, int keep, int imageTokens, int depth, int publishedLayer) : base(name, keep, imageTokens, depth) =>
        Layer = LlmLayers.Clamp(publishedLayer, depth);

    /// <inheritdoc/>
    public override IReadOnlyList<ITokenDropper> Droppers => [this];

    /// <inheritdoc/>
    public int Layer { get; }

    /// <inheritdoc/>
    public abstract bool NeedsAttention { get; }

    /// <inheritdoc/>
    public abstract TokenDropDecision Decide(TokenDropContext context);
}
