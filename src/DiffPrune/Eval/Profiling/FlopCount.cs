using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;

namespace DiffPrune.Eval.Profiling;

/// <summary>
/// FLOPs (multiply-adds × 2) of a VLM's time to first token, counted from shapes: the vision tower up to its feature
/// layer (<see cref="VisionConfig.Flops"/>, once per view a LLaVA-NeXT image is cut into; Qwen2.5-VL's tower with its
/// merger, <see cref="Qwen25VisionConfig.Flops"/>), the projector on the visual tokens that enter the LLM
/// (<see cref="LlavaConfig.ProjectorFlops"/>; Qwen2.5-VL has none after its merger), and each decoder layer on the
/// tokens it sees (<see cref="LlamaConfig.LayerFlops"/>, grouped-query attention and q/k/v biases included). Norms,
/// activations, the LM head and the pruner's own decision are left out.
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

    /// <summary>The FLOPs of <paramref name="config"/> under <paramref name="schedule"/>, the tower run on <paramref name="views"/> views (LLaVA-NeXT: base view and tiles).</summary>
    /// <exception cref="ArgumentException">A schedule for another depth, or fewer than one view.</exception>
    public static FlopCount Of(LlavaConfig config, TokenSchedule schedule, int views = 1)
    {
        CheckDepth(config.Text, schedule);
        if (views < 1) throw new ArgumentException($"an image is encoded as at least 1 view (got {views})");
        return new FlopCount(views * config.Vision.Flops(config.VisionLayersNeeded), config.ProjectorFlops(schedule.ProjectedTokens),
            schedule.LayerTokens.Sum(config.Text.LayerFlops));
    }

    /// <summary>The FLOPs of a Qwen2.5-VL of <paramref name="vision"/> and <paramref name="text"/> on one image of <paramref name="grid"/> under <paramref name="schedule"/>.</summary>
    /// <exception cref="ArgumentException">A schedule for another depth.</exception>
    public static FlopCount OfQwen25(Qwen25VisionConfig vision, Qwen25PatchGrid grid, LlamaConfig text, TokenSchedule schedule)
    {
        CheckDepth(text, schedule);
        return new FlopCount(vision.Flops(grid), 0, schedule.LayerTokens.Sum(text.LayerFlops));
    }

    /// <summary>The FLOPs of <paramref name="vlm"/> on one image, <paramref name="encoded"/> (batch 1, as it was encoded), under
    /// <paramref name="schedule"/>: a LLaVA model's (one view), or a Qwen2.5-VL model's on the image's grid.</summary>
    /// <exception cref="ArgumentException">A schedule for another depth, Qwen2.5-VL tokens without their grid, or a model of another kind.</exception>
    public static FlopCount Of(IVisionLanguageModel vlm, VisualTokens encoded, TokenSchedule schedule) => vlm switch
    {
        LlavaModel llava => Of(llava.Config, schedule),
        Qwen25VlModel qwen => OfQwen25(qwen.Config.Vision, encoded.Grids?[0] ?? throw new ArgumentException("qwen2.5-vl: FLOPs need the image's grid (VisualTokens.Grids)"),
            qwen.Config.Text, schedule),
        _ => throw new ArgumentException($"FLOPs are counted for LLaVA and Qwen2.5-VL models, not {vlm.GetType().Name}"),
    };

    static void CheckDepth(LlamaConfig text, TokenSchedule schedule)
    {
        if (schedule.Depth != text.NumLayers)
            throw new ArgumentException($"a schedule of {schedule.Depth} layers does not fit an LLM of {text.NumLayers}");
    }
}
