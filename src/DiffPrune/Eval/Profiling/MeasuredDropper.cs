using DiffPrune.Models.Llama;

namespace DiffPrune.Eval.Profiling;

/// <summary>
/// Times an in-LLM stage's decision apart from the prefill around it: on its first <see cref="Decide"/> it runs the
/// wrapped stage's decision <c>warmup</c> + <c>runs</c> times on that context and keeps the median time and the
/// decision; every later call replays the decision (same prompt, same tokens), so a timed prefill pays for the drop
/// but not for deciding it. The stage still asks for the attention it reads, so the layer before it does the same work.
/// </summary>
internal sealed class MeasuredDropper(ITokenDropper stage, int runs, int warmup) : ITokenDropper
{
    TokenDropDecision? _decision;
    int _tokens;

    /// <inheritdoc/>
    public int Layer => stage.Layer;

    /// <inheritdoc/>
    public bool NeedsAttention => stage.NeedsAttention;

    /// <summary>Median milliseconds of one decision (0 before the first call).</summary>
    public double MedianMs { get; private set; }

    /// <summary>Tokens kept (visual and text) by the decision.</summary>
    public int KeptTokens => _decision?.Count ?? throw new InvalidOperationException($"the stage at layer {Layer} has not decided yet");

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">A replay on another number of tokens than the decision was made on.</exception>
    public TokenDropDecision Decide(TokenDropContext context)
    {
        if (_decision != null)
        {
            if (context.Tokens != _tokens)
                throw new InvalidOperationException($"the stage at layer {Layer} decided on {_tokens} tokens and cannot replay on {context.Tokens}");
            return _decision;
        }
        TokenDropDecision? decision = null;
        MedianMs = Timing.MedianMilliseconds(() => decision = stage.Decide(context), runs, warmup);
        _tokens = context.Tokens;
        return _decision = decision!;
    }
}
