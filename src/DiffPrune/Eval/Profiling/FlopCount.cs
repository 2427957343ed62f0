using DiffPrune.Models.Vlm;

namespace DiffPrune.Eval.Profiling;

/// <summary>
/// FLOPs (multiply-adds × 2) of a VLM's time to first token, counted from shapes: the vision tower up to its feature
/// layer (<see cref="Models.Vision.VisionConfig.Flops"/>), the projector on the visual tokens that enter the LLM
/// (<see cref="LlavaConfig.ProjectorFlops"/>), and each decoder layer on the tokens it sees
/// (<see cref="Models.Llama.LlamaConfig.LayerFlops"/>). Norms, activations, the LM head and the pruner's own
/// decision are left out.
/// </summary>
/// <param name="Vision">Vision tower.</param>
/// <param name="Projector">Projector.</param>
/// <param name="Decoder">Decoder layers.</param>
public sealed record FlopCount(double Vision, double Projector, double Decoder)
{
    /// <summary>The LLM prefill: projector and decoder.</summary>
    public double Prefill => Projector + Decoder;

    /// <summary>Everything counted.</summary>
    public double Total => Vision + Prefill;

    /// <summary>The FLOPs of <paramref name="config"/> under <paramref name="schedule"/>.</summary>
    /// <exception cref="ArgumentException">A schedule for another depth.</exception>
    public static FlopCount Of(LlavaConfig config, TokenSchedule schedule)
    {
        if (schedule.Depth != config.Text.NumLayers)
            throw new ArgumentException($"a schedule of {schedule.Depth} layers does not fit an LLM of {config.Text.NumLayers}");
        return new FlopCount(config.Vision.Flops(config.VisionLayersNeeded), config.ProjectorFlops(schedule.ProjectedTokens),
            schedule.LayerTokens.Sum(config.Text.LayerFlops));
    }
}
