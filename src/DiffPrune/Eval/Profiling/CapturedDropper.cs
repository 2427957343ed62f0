using DiffPrune.Models.Llama;
using DiffPrune.Pruning;

namespace DiffPrune.Eval.Profiling;

/// <summary>
/// Holds an in-LLM stage's decision apart from the prefill around it: on its first <see cref="Decide"/> the stage
/// decides and the context and decision are kept; every later call replays the decision (same prompt, same tokens),
/// so a timed prefill pays for the drop but not for deciding it, and <see cref="DecideAgain"/> times the decision
/// alone on the context it met. The stage still asks for the attention it reads, so the layer before it does the same work.
/// </summary>
internal sealed class CapturedDropper(ITokenDropper stage) : ITokenDropper
{
    TokenDropContext? _context;
    TokenDropDecision? _decision;

    /// <summary>Captures of <paramref name="method"/>'s in-LLM stages, in layer order.</summary>
    public static CapturedDropper[] Stages(IPruningMethod method) => method.Droppers.OrderBy(d => d.Layer).Select(d => new CapturedDropper(d)).ToArray();

    /// <inheritdoc/>
    public int Layer => stage.Layer;

    /// <inheritdoc/>
    public bool NeedsAttention => stage.NeedsAttention;

    /// <summary>Tokens kept (visual and text) by the decision.</summary>
    public int KeptTokens => Decided().Count;

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">A replay on another number of tokens than the decision was made on.</exception>
    public TokenDropDecision Decide(TokenDropContext context)
    {
        if (_context == null)
        {
            _decision = stage.Decide(context);
            _context = context;
        }
        else if (context.Tokens != _context.Tokens)
            throw new InvalidOperationException($"the stage at layer {Layer} decided on {_context.Tokens} tokens and cannot replay on {context.Tokens}");
        return _decision!;
    }

    /// <summary>Runs the stage's decision again on the context it first met (what a profile times).</summary>
    public void DecideAgain() => stage.Decide((_context ?? throw NotYet()));

    TokenDropDecision Decided() => _decision ?? throw NotYet();

    InvalidOperationException NotYet() => new($"the stage at layer {Layer} has not decided yet: run a prefill first");
}
