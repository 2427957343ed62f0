using System.Globalization;
using DiffPrune.Tensors;

namespace DiffPrune.Training.Pretraining;

/// <summary>
/// Grows a trained LLaMA to more layers without changing what it computes: every new layer is a copy of the trained
/// layer it follows with its two residual outputs (<c>o_proj</c>, <c>down_proj</c>) set to zero, so it adds exactly
/// nothing until training moves them. A copy starts from attention patterns and features that already mean something,
/// so its first gradients are useful (a random new layer would start from noise). Copies are spread evenly through
/// the stack, each right after the layer it copies.
/// </summary>
public static class LanguageModelDeepening
{
    const string LayerPrefix = "language_model.model.layers.";

    /// <summary>Whether <paramref name="fromLayers"/> can be deepened to <paramref name="toLayers"/> (more, at most twice as many).</summary>
    public static bool CanDeepen(int fromLayers, int toLayers) => fromLayers >= 1 && toLayers > fromLayers && toLayers <= 2 * fromLayers;

    /// <summary>For each layer of the deeper model, the trained layer it starts from and whether it is a new copy.</summary>
    /// <exception cref="ArgumentException">Not <see cref="CanDeepen"/>.</exception>
    public static (int Source, bool IsCopy)[] Plan(int fromLayers, int toLayers)
    {
        if (!CanDeepen(fromLayers, toLayers))
            throw new ArgumentException($"can deepen {fromLayers} layers to {fromLayers + 1}..{2 * fromLayers}, not to {toLayers}");
        int copies = toLayers - fromLayers;
        var copied = Enumerable.Range(1, copies).Select(j => (int)Math.Round((double)j * fromLayers / copies) - 1).ToHashSet();
        var plan = new List<(int, bool)>();
        for (int i = 0; i < fromLayers; i++)
        {
            plan.Add((i, false));
            if (copied.Contains(i)) plan.Add((i, true));
        }
        return plan.ToArray();
    }

    /// <summary>
    /// The weights of a VLM whose LLM has <paramref name="toLayers"/> layers, from <paramref name="state"/> (a VLM state
    /// dict with <paramref name="fromLayers"/>): everything outside the layers as is, the layers as <see cref="Plan"/> says.
    /// </summary>
    public static Dictionary<string, Tensor> Deepen(IReadOnlyDictionary<string, Tensor> state, int fromLayers, int toLayers)
    {
        var plan = Plan(fromLayers, toLayers);
        var grown = state.Where(kv => !kv.Key.StartsWith(LayerPrefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);
        for (int layer = 0; layer < plan.Length; layer++)
        {
            var (source, isCopy) = plan[layer];
            string from = LayerPrefix + source.ToString(CultureInfo.InvariantCulture) + ".";
            string to = LayerPrefix + layer.ToString(CultureInfo.InvariantCulture) + ".";
            foreach (var (name, tensor) in state.Where(kv => kv.Key.StartsWith(from, StringComparison.Ordinal)))
            {
                string rest = name[from.Length..];
                bool residualOutput = rest is "self_attn.o_proj.weight" or "mlp.down_proj.weight";
                grown[to + rest] = isCopy && residualOutput ? Tensor.Zeros(tensor.Shape) : tensor;
            }
        }
        return grown;
    }
}
