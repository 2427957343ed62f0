using DiffPrune.Data.Images;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;

namespace DiffPrune.Eval.Profiling;

/// <summary>
/// Time to first token of a whole VLM at batch 1, split as paper Table 4 splits it. Encoding: the vision tower up to
/// its feature layer (with attention maps when the method reads them; the same work for every method of a kind, so
/// timed once per kind). Decision: a pre-LLM method's function on the encoded tokens, or each in-LLM stage's decision
/// on the context it met in the prefill (<see cref="CapturedDropper"/>). Prefill: projector, sequence assembly and the
/// decoder with the decisions replayed, so it pays for the drops but not for deciding them.
/// </summary>
/// <param name="vlm">The model, at full depth.</param>
/// <param name="pixels">One image (1, 3, H, W), normalised to the tower's input; null for a LLaVA-NeXT model, which tiles <paramref name="image"/>.</param>
/// <param name="image">The image.</param>
/// <param name="promptIds">Its prompt, with the image token.</param>
internal sealed class ModelProfiler(LlavaModel vlm, Tensor? pixels, RgbImage image, int[] promptIds) : IRowProfiler
{
    readonly VlmInference _inference = new(vlm);
    readonly Dictionary<bool, VisualTokens> _encoded = [];

    /// <inheritdoc/>
    public Func<Func<string, double>, MethodProfile> Prepare(int index, ComparedMethod compared, InterleavedTimer timer)
    {
        var method = compared.Build(vlm);
        var parts = new RowParts(timer, index);
        bool attentions = method.NeedsVisionAttentions;
        string encode = parts.Encoding(attentions, () => Encode(attentions));
        if (!_encoded.TryGetValue(attentions, out var tokens)) _encoded[attentions] = tokens = Encode(attentions);
        var pruned = parts.PreLlm(method, tokens);
        var stages = CapturedDropper.Stages(method);
        var input = Prefill(pruned, stages);
        parts.Stages(stages);
        string prefill = parts.Add("prefill", () => Prefill(pruned, stages));
        var schedule = TokenSchedule.FromStages(pruned.Count, input.Embeds.Shape[1], vlm.Config.Text.NumLayers,
            stages.Select(s => s.Layer).ToArray(), stages.Select(s => s.KeptTokens).ToArray());
        var flops = FlopCount.Of(vlm.Config, schedule);
        return median => MethodProfile.Of(compared.Label, method, flops, schedule, median(encode), parts.DecisionMs(median), median(prefill));
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<int, double>? DecoderLayerMs(Func<string, double> median) => null;

    VisualTokens Encode(bool attentions) => pixels != null ? _inference.Encode(pixels, attentions) : vlm.EncodeImages([image]);

    /// <summary>Projects the tokens, builds the sequence and runs the decoder; returns the decoder input.</summary>
    DecoderInput Prefill(VisualTokens tokens, IReadOnlyList<ITokenDropper> stages)
    {
        var input = _inference.Assemble(tokens, [promptIds], stages);
        _inference.Prefill(input);
        return input;
    }
}
