using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Models.Vlm;

/// <summary>A LLaVA-1.5-style VLM: vision tower, 2-layer projector, LLaMA language model (HF <c>LlavaConfig</c>).</summary>
public sealed record LlavaConfig
{
    /// <summary>The vision tower.</summary>
    public VisionConfig Vision { get; init; } = new();
    /// <summary>The language model.</summary>
    public LlamaConfig Text { get; init; } = new();
    /// <summary>Token id that marks where the image goes in the text.</summary>
    public int ImageTokenId { get; init; } = 3;
    /// <summary>Vision layer whose patch features feed the projector (LLaVA: −2, the second-to-last).</summary>
    public int VisionFeatureLayer { get; init; } = -2;
    /// <summary>Activation between the projector's two linears (LLaVA-1.5: GELU).</summary>
    public Activation ProjectorAct { get; init; } = Activation.Gelu;
    /// <summary>
    /// LLaVA-NeXT's AnyRes resolutions, (height, width) each a multiple of the tower's input size; null for LLaVA-1.5
    /// (one view of the tower's size). With pinpoints the model holds the learned <c>image_newline</c> token.
    /// </summary>
    public IReadOnlyList<(int Height, int Width)>? ImageGridPinpoints { get; init; }

    /// <summary>Whether images are tiled (LLaVA-NeXT's AnyRes): <see cref="ImageGridPinpoints"/> is set.</summary>
    public bool IsAnyRes => ImageGridPinpoints != null;

    /// <summary>The most visual tokens an image can give: N for LLaVA-1.5; for AnyRes the base view plus the largest
    /// pinpoint's full grid (an image of the pinpoint's aspect loses nothing to unpadding).</summary>
    public int MaxVisualTokens => ImageGridPinpoints is { } pins
        ? Vision.NumPatches + pins.Max(p => p.Height / Vision.ImageSize * (p.Width / Vision.ImageSize)) * Vision.NumPatches
        : Vision.NumPatches;

    /// <summary>The most LLM positions an image can take: <see cref="MaxVisualTokens"/> plus, for AnyRes, a newline per row of the
    /// largest pinpoint's grid.</summary>
    public int MaxImagePositions => MaxVisualTokens + (ImageGridPinpoints is { } pins ? pins.Max(p => p.Height / Vision.ImageSize) * Vision.GridSize : 0);

    /// <summary>Number of vision blocks that must run to reach <see cref="VisionFeatureLayer"/>.</summary>
    public int VisionLayersNeeded => VisionFeatureLayer < 0 ? Vision.NumLayers + 1 + VisionFeatureLayer : VisionFeatureLayer;

    /// <summary>Throws when inconsistent.</summary>
    public LlavaConfig Validate()
    {
        Vision.Validate();
        Text.Validate();
        if (VisionLayersNeeded < 0 || VisionLayersNeeded > Vision.NumLayers)
            throw new ArgumentException($"vision_feature_layer {VisionFeatureLayer} is outside the {Vision.NumLayers}-layer vision tower");
        if (ImageTokenId < 0) throw new ArgumentException($"image_token_index {ImageTokenId} must be non-negative");
        if (ImageGridPinpoints is { } pins)
        {
            if (pins.Count == 0) throw new ArgumentException("image_grid_pinpoints is empty: give at least one [height, width]");
            foreach (var (h, w) in pins)
                if (h < Vision.ImageSize || w < Vision.ImageSize || h % Vision.ImageSize != 0 || w % Vision.ImageSize != 0 || h / Vision.ImageSize * (w / Vision.ImageSize) > 64)
                    throw new ArgumentException($"image_grid_pinpoints entry [{h}, {w}] must be whole tiles of the vision image_size {Vision.ImageSize} (at most 64 tiles)");
        }
        return this;
    }

    /// <summary>Projector parameters: d_v·d + d + d·d + d.</summary>
    public long ProjectorParameterCount() => checked((long)Vision.HiddenSize * Text.HiddenSize + Text.HiddenSize + (long)Text.HiddenSize * Text.HiddenSize + Text.HiddenSize);

    /// <summary>FLOPs of projecting <paramref name="tokens"/> visual tokens: 2·T·(d_v·d + d·d) (biases and GELU left out).</summary>
    public double ProjectorFlops(int tokens) => 2.0 * tokens * ((double)Vision.HiddenSize * Text.HiddenSize + (double)Text.HiddenSize * Text.HiddenSize);

    /// <summary>Total parameters without allocating weights.</summary>
    /// <exception cref="OverflowException">The shape is too large to count in 64 bits (a crafted config).</exception>
    public long ParameterCount() => checked(Vision.ParameterCount() + ProjectorParameterCount() + Text.ParameterCount() + (IsAnyRes ? Text.HiddenSize : 0));

    /// <summary>LLaVA-1.5-7B: CLIP ViT-L/14 at 336 px (N = 576), Vicuna-7B (32 layers, d = 4096).</summary>
    public static LlavaConfig Llava15_7B() => new()
    {
        Vision = new VisionConfig { ImageSize = 336, PatchSize = 14, HiddenSize = 1024, IntermediateSize = 4096, NumLayers = 24, NumHeads = 16, HiddenAct = Activation.QuickGelu },
        Text = new LlamaConfig { VocabSize = 32064, HiddenSize = 4096, IntermediateSize = 11008, NumLayers = 32, NumHeads = 32, NumKvHeads = 32, RmsNormEps = 1e-5f, TieWordEmbeddings = false, MaxPositionEmbeddings = 4096 },
        ImageTokenId = 32000,
    };

    /// <summary>
    /// LLaVA-NeXT-7B (llava-hf/llava-v1.6-vicuna-7b-hf): the same towers as LLaVA-1.5-7B plus the learned image_newline;
    /// AnyRes tiling into the pinpoints 336×672, 672×336, 672×672, 1008×336, 336×1008 feeds up to 5 × 576 = 2,880 visual
    /// tokens (the base image plus four tiles).
    /// </summary>
    public static LlavaConfig LlavaNext7B() => Llava15_7B() with
    {
        ImageGridPinpoints = [(336, 672), (672, 336), (672, 672), (1008, 336), (336, 1008)],
    };

    /// <summary>Visual tokens LLaVA-NeXT feeds with 4 tiles plus the base image.</summary>
    public const int LlavaNextMaxVisualTokens = 2880;
}

/// <summary>Language sides of other real-scale VLMs, for FLOPs and parameter counts.</summary>
public static class RealScaleConfigs
{
    /// <summary>Qwen2.5-VL-7B's language model (Qwen2.5-7B: 28 layers, d = 3584, GQA 28/4, SwiGLU 18944, untied head).</summary>
    /// <remarks>Qwen2 adds biases to q/k/v projections (≈0.4 M parameters); they are not in this shape and are counted separately by <see cref="Qwen25VL7BQkvBiasParameters"/>.</remarks>
    public static LlamaConfig Qwen25VL7BText() => new()
    {
        VocabSize = 152064,
        HiddenSize = 3584,
        IntermediateSize = 18944,
        NumLayers = 28,
        NumHeads = 28,
        NumKvHeads = 4,
        RmsNormEps = 1e-6f,
        RopeTheta = 1000000f,
        TieWordEmbeddings = false,
        MaxPositionEmbeddings = 128000,
    };

    /// <summary>The q/k/v bias parameters of Qwen2.5-7B that a LLaMA shape lacks.</summary>
    public static long Qwen25VL7BQkvBiasParameters()
    {
        var c = Qwen25VL7BText();
        return (long)c.NumLayers * (c.HiddenSize + 2 * c.NumKvHeads * c.HeadDim);
    }
}
