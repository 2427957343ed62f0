using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;

namespace DiffPrune.Eval.Profiling;

/// <summary>
/// The Qwen2.5-VL a <see cref="Qwen25WidthProfiler"/> stands for: its vision tower, its language model and the patch
/// grid of the one image profiled (native resolution: N = (R/2)·(C/2) merged tokens depends on the image).
/// </summary>
/// <param name="Vision">The vision tower (its merger's output width is the LLM's).</param>
/// <param name="Text">The language model.</param>
/// <param name="PatchRows">Patch rows R of the image (its height / patch size).</param>
/// <param name="PatchCols">Patch columns C (its width / patch size).</param>
public sealed record Qwen25WidthTarget(Qwen25VisionConfig Vision, LlamaConfig Text, int PatchRows, int PatchCols)
{
    /// <summary>
    /// Qwen2.5-VL-7B on an 812 × 1,064-pixel image (height × width, both multiples of 28 as its processor resizes to):
    /// 58 × 76 patches of 14 px, 29 × 38 = 1,102 merged tokens, inside the typical 1,000–1,300. The language model is
    /// Qwen2-7B-shaped: 28 layers, d = 3,584, 28 query / 4 KV heads, SwiGLU 18,944, q/k/v biases, M-RoPE [16, 24, 24].
    /// </summary>
    public static Qwen25WidthTarget Qwen25VL7B() => new(new Qwen25VisionConfig(),
        RealScaleConfigs.Qwen25VL7BText() with { AttentionBias = true, MropeSection = [16, 24, 24] }, 58, 76);

    /// <summary>The image's patch grid.</summary>
    /// <exception cref="ArgumentException">Sides that cannot be merged.</exception>
    public Qwen25PatchGrid Grid => Vision.Grid(PatchRows, PatchCols);

    /// <summary>N: merged tokens of the image, the visual tokens the pruner sees.</summary>
    public int VisualTokens => Grid.Tokens;

    /// <summary>Throws when the shapes do not fit together (names what is wrong).</summary>
    public Qwen25WidthTarget Validate()
    {
        Vision.Validate();
        Text.Validate();
        _ = Grid;
        if (Vision.OutHiddenSize != Text.HiddenSize)
            throw new ArgumentException($"qwen2.5-vl: the merger's out_hidden_size {Vision.OutHiddenSize} must equal the language model's hidden_size {Text.HiddenSize}");
        if (Text.MropeSection == null) throw new ArgumentException("qwen2.5-vl: the language model needs an mrope_section (M-RoPE)");
        return this;
    }

    /// <summary>Parameters of the part a profiler builds: <paramref name="visionBlocks"/> tower blocks (with embedding and merger) and <paramref name="decoderLayers"/> decoder layers (embedding table and LM head left out).</summary>
    public long BuiltParameterCount(int visionBlocks, int decoderLayers)
    {
        checked
        {
            long d = Vision.HiddenSize, ff = Vision.IntermediateSize, unit = Vision.MergeUnit * d;
            long block = 4 * d * d + 4 * d + 3 * d * ff + 2 * ff + d + 2 * d;
            long tower = Vision.PatchVectorSize * d + visionBlocks * block + d + unit * unit + unit + unit * Vision.OutHiddenSize + Vision.OutHiddenSize;
            var layers = Text with { NumLayers = decoderLayers, VocabSize = 1 };
            return tower + layers.ParameterCount();
        }
    }
}
