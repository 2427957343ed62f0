using DiffPrune.Models.Llama;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;

namespace DiffPrune.Eval.Profiling;

/// <summary>
/// Time to first token of a whole VLM at batch 1, split as paper Table 4 splits it; every part is the median of
/// <c>runs</c> calls after <c>warmup</c> untimed ones. Encoding: the vision tower up to its feature layer (with attention
/// maps when the method reads them). Decision: a pre-LLM method's function on the encoded tokens, or each in-LLM stage's
/// decision on the context it meets in the prefill (<see cref="MeasuredDropper"/>). Prefill: projector, sequence
/// assembly and the decoder with the decisions replayed, so it pays for the drops but not for deciding them.
/// </summary>
/// <param name="vlm">The model, at full depth.</param>
/// <param name="pixels">One image (1, 3, H, W), normalised.</param>
/// <param name="promptIds">Its prompt, with the image token.</param>
/// <param name="runs">Timed runs per part (≥ 1).</param>
/// <param name="warmup">Untimed runs before them (≥ 0).</param>
public sealed class ModelProfiler(LlavaModel vlm, Tensor pixels, int[] promptIds, int runs, int warmup)
{
    /// <summary>The profiled model.</summary>
    public LlavaModel Model => vlm;

    /// <summary>The row of <paramref name="compared"/>, built on the model.</summary>
    public MethodProfile Measure(ComparedMethod compared)
    {
        var method = compared.Build(vlm);
        using var _ = Autograd.NoGrad();
        bool attentions = method.NeedsVisionAttentions;
        double encodeMs = Timing.MedianMilliseconds(() => vlm.EncodeImages(pixels, attentions), runs, warmup);
        var tokens = vlm.EncodeImages(pixels, attentions);
        double prunerMs = 0;
        if (method.PreLlm is { } preLlm)
        {
            var all = tokens;
            prunerMs = Timing.MedianMilliseconds(() => preLlm(all), runs, warmup);
            tokens = preLlm(all);
        }
        var stages = method.Droppers.OrderBy(d => d.Layer).Select(d => new MeasuredDropper(d, runs, warmup)).ToArray();
        var input = Prefill(tokens, stages);
        prunerMs += stages.Sum(s => s.MedianMs);
        double prefillMs = Timing.MedianMilliseconds(() => Prefill(tokens, stages), runs, warmup);
        var schedule = TokenSchedule.FromStages(tokens.Count, input.Embeds.Shape[1], vlm.Config.Text.NumLayers,
            stages.Select(s => s.Layer).ToArray(), stages.Select(s => s.KeptTokens).ToArray());
        return MethodProfile.Of(compared.Label, method, FlopCount.Of(vlm.Config, schedule), schedule, encodeMs, prunerMs, prefillMs);
    }

    /// <summary>Projects the tokens, builds the sequence and runs the decoder; returns the decoder input.</summary>
    DecoderInput Prefill(VisualTokens tokens, IReadOnlyList<ITokenDropper> stages)
    {
        var input = vlm.BuildInput(vlm.Projector.Forward(tokens.Features), tokens.PatchIndex, [promptIds]) with { Droppers = stages, LastLogitsOnly = true };
        vlm.LanguageModel.Forward(input);
        return input;
    }
}
