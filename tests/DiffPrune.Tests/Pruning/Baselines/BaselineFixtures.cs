using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tests.Models;

namespace DiffPrune.Tests.Pruning.Baselines;

/// <summary>Hand-made inputs for the baselines' selection rules, and the small VLMs they run on.</summary>
public static class BaselineFixtures
{
    /// <summary>The 4-layer test VLM (N = 16 visual tokens).</summary>
    public static LlavaModel ShallowVlm(ulong seed = 1) => new(TinyModels.Llava(), new Generator(seed));

    /// <summary>An 8-layer LLM on a 24-px vision tower (N = 36), so multi-stage methods get distinct layers.</summary>
    public static LlavaModel DeepVlm(ulong seed = 1)
    {
        var cfg = TinyModels.Llava();
        return new(cfg with { Vision = cfg.Vision with { ImageSize = 24 }, Text = cfg.Text with { NumLayers = 8 } }, new Generator(seed));
    }

    /// <summary>Pixels for <paramref name="vlm"/>'s image size.</summary>
    public static Tensor Pixels(LlavaModel vlm, int batch, ulong seed) =>
        Tensor.Randn(new Generator(seed), [batch, 3, vlm.Config.Vision.ImageSize, vlm.Config.Vision.ImageSize]);

    /// <summary>Prompts of different lengths, the image token (3) at different places.</summary>
    public static readonly int[][] Texts = [[1, 5, 3, 9, 12, 7], [1, 3, 8, 4], [1, 6, 2, 3, 10]];

    /// <summary>Rows of <paramref name="values"/> as an (N, d) tensor.</summary>
    public static Tensor Matrix(float[][] rows) => Tensor.FromArray(rows.SelectMany(r => r).ToArray(), rows.Length, rows[0].Length);

    /// <summary>One image's tokens (1, N, d) in patch order, with a one-layer vision output whose CLS row attends with <paramref name="clsAttention"/> (one head).</summary>
    public static VisualTokens TokensWithClsAttention(Tensor features, float[] clsAttention)
    {
        int n = features.Shape[0];
        var attention = Tensor.Zeros(1, 1, n + 1, n + 1);
        for (int j = 0; j < n; j++) attention[0, 0, 0, 1 + j] = clsAttention[j];
        return new VisualTokens(features.Reshape(1, n, features.Shape[1]), [Enumerable.Range(0, n).ToArray()], new VisionOutput([], [attention]));
    }

    /// <summary>
    /// A dropper context over hand-made attention (B, H, T, S) for sequences of <paramref name="valid"/>.Length / B
    /// tokens with the given image spans; hidden states are zeros unless given.
    /// </summary>
    public static TokenDropContext Context(Tensor? attention, bool[] valid, ImageSpan[] spans, Tensor? hidden = null, int width = 32)
    {
        int b = spans.Length, t = valid.Length / b;
        hidden ??= Tensor.Zeros(b, t, width);
        var positions = Enumerable.Range(0, b).SelectMany(_ => Enumerable.Range(0, t)).ToArray();
        var input = new DecoderInput(hidden, positions, valid) { ImageSpans = spans };
        return new TokenDropContext(hidden, hidden, attention, positions, valid, spans, input, TinyModels.RandomLlama());
    }

    /// <summary>Replays of a prefill's decisions, stage by stage, for recomputing a generation without a cache.</summary>
    public static ITokenDropper[] Replays(IReadOnlyList<ITokenDropper> droppers, IReadOnlyList<TokenDropDecision> decisions, int promptLength)
    {
        var ordered = droppers.OrderBy(d => d.Layer).ToArray();
        var replays = new ITokenDropper[ordered.Length];
        for (int s = 0; s < ordered.Length; s++)
        {
            replays[s] = new FixedTokenDropper(ordered[s].Layer, decisions[s], promptLength);
            promptLength = decisions[s].Count;
        }
        return replays;
    }
}
