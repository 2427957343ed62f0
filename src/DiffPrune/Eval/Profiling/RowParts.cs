using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Tensors;

namespace DiffPrune.Eval.Profiling;

/// <summary>
/// The timed parts of one profile row, registered with an <see cref="InterleavedTimer"/> under keys of their own
/// (encoding under a key per kind, shared by every row of that kind) and read back as the row's figures.
/// </summary>
/// <param name="timer">The timer of the whole table.</param>
/// <param name="row">The row's index, which makes its keys unique.</param>
internal sealed class RowParts(InterleavedTimer timer, int row)
{
    readonly List<string> _decisions = [];

    /// <summary>Registers <paramref name="encode"/>, the image's encoding with attention maps or not (shared by every row of that kind); returns its key.</summary>
    public string Encoding(bool attentions, Action encode)
    {
        string key = $"encode:{attentions}";
        timer.Add(key, encode);
        return key;
    }

    /// <summary>Registers <paramref name="method"/>'s pre-LLM decision on <paramref name="tokens"/>, if it has one, and returns the tokens it keeps.</summary>
    public VisualTokens PreLlm(IPruningMethod method, VisualTokens tokens)
    {
        if (method.PreLlm is not { } preLlm) return tokens;
        _decisions.Add(Add("decide", () => preLlm(tokens)));
        return preLlm(tokens);
    }

    /// <summary>Registers each in-LLM stage's decision on the context it met.</summary>
    public void Stages(IReadOnlyList<CapturedDropper> stages)
    {
        for (int s = 0; s < stages.Count; s++) _decisions.Add(Add($"decide:{s}", stages[s].DecideAgain));
    }

    /// <summary>Registers another part of this row; returns its key.</summary>
    public string Add(string part, Action op)
    {
        string key = $"{row}:{part}";
        timer.Add(key, op);
        return key;
    }

    /// <summary>The row's decision time: the sum of its decisions' medians.</summary>
    public double DecisionMs(Func<string, double> median) => _decisions.Sum(median);
}
