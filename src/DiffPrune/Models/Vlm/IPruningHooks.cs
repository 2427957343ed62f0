using DiffPrune.Models.Llama;

namespace DiffPrune.Models.Vlm;

/// <summary>
/// Where a visual-token pruning method plugs into a VLM (<see cref="VlmInference"/>): a pre-LLM function on the visual
/// tokens, before the projector, and/or in-LLM token droppers. Named methods (the baselines, DiffPrune) implement it.
/// </summary>
public interface IPruningHooks
{
    /// <summary>Whether the pre-LLM function reads the vision tower's attention maps (the images are then encoded with them).</summary>
    bool NeedsVisionAttentions { get; }

    /// <summary>The pre-LLM function, or null.</summary>
    Func<VisualTokens, VisualTokens>? PreLlm { get; }

    /// <summary>The in-LLM stages (<see cref="DecoderInput.Droppers"/>), one per layer; empty for pre-LLM methods.</summary>
    IReadOnlyList<ITokenDropper> Droppers { get; }
}

/// <summary>Hooks given directly, for experiments and tests (named methods implement <see cref="IPruningHooks"/> themselves).</summary>
/// <param name="PreLlm">The pre-LLM function, or null.</param>
/// <param name="Droppers">The in-LLM stages.</param>
/// <param name="NeedsVisionAttentions">Whether <paramref name="PreLlm"/> reads attention maps.</param>
public sealed record PruningHooks(Func<VisualTokens, VisualTokens>? PreLlm, IReadOnlyList<ITokenDropper> Droppers, bool NeedsVisionAttentions = false) : IPruningHooks
{
    /// <summary>A pre-LLM function alone.</summary>
    public static PruningHooks Before(Func<VisualTokens, VisualTokens> preLlm) => new(preLlm, []);
}
