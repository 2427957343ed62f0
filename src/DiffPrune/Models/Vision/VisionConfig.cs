using DiffPrune.Tensors.Nn;

namespace DiffPrune.Models.Vision;

/// <summary>Shape of a CLIP/DeiT-style ViT (HF <c>CLIPVisionConfig</c> field meanings).</summary>
public sealed record VisionConfig
{
    /// <summary>Input side length in pixels (square images).</summary>
    public int ImageSize { get; init; } = 48;
    /// <summary>Patch side length; ImageSize must be a multiple.</summary>
    public int PatchSize { get; init; } = 4;
    /// <summary>Image channels.</summary>
    public int NumChannels { get; init; } = 3;
    /// <summary>Width d_v.</summary>
    public int HiddenSize { get; init; } = 64;
    /// <summary>MLP width.</summary>
    public int IntermediateSize { get; init; } = 256;
    /// <summary>Encoder layers.</summary>
    public int NumLayers { get; init; } = 4;
    /// <summary>Attention heads.</summary>
    public int NumHeads { get; init; } = 4;
    /// <summary>MLP activation (OpenAI CLIP: quick_gelu).</summary>
    public Activation HiddenAct { get; init; } = Activation.QuickGelu;
    /// <summary>LayerNorm epsilon.</summary>
    public float LayerNormEps { get; init; } = 1e-5f;

    /// <summary>Patches per side.</summary>
    public int GridSize => ImageSize / PatchSize;
    /// <summary>Number of patch tokens N (without CLS).</summary>
    public int NumPatches => GridSize * GridSize;

    /// <summary>Throws when inconsistent (names the field).</summary>
    public VisionConfig Validate()
    {
        if (PatchSize <= 0 || ImageSize <= 0 || ImageSize % PatchSize != 0)
            throw new ArgumentException($"vision config: image_size {ImageSize} is not a multiple of patch_size {PatchSize}");
        if (GridSize > 46340) // N = GridSize² must fit an int
            throw new ArgumentException($"vision config: image_size {ImageSize} / patch_size {PatchSize} gives {GridSize}² patches, too many to index");
        if (NumHeads <= 0 || HiddenSize % NumHeads != 0)
            throw new ArgumentException($"vision config: hidden_size {HiddenSize} is not divisible by num_attention_heads {NumHeads}");
        if (NumLayers < 1 || IntermediateSize <= 0 || NumChannels <= 0) throw new ArgumentException("vision config: sizes must be positive");
        if (!float.IsFinite(LayerNormEps) || LayerNormEps <= 0)
            throw new ArgumentException($"vision config: layer_norm_eps {LayerNormEps} must be a positive number");
        return this;
    }

    /// <summary>Parameter count without allocating weights.</summary>
    /// <exception cref="OverflowException">The shape is too large to count in 64 bits (a crafted config).</exception>
    public long ParameterCount()
    {
        checked
        {
            long d = HiddenSize, patch = (long)NumChannels * PatchSize * PatchSize, grid = GridSize;
            long embeddings = d * patch + d + (grid * grid + 1) * d;
            long layer = 4 * (d * d + d) + 2 * 2 * d + d * IntermediateSize + IntermediateSize + IntermediateSize * d + d;
            return embeddings + 2 * d /* pre_layrnorm */ + NumLayers * layer + 2 * d /* post_layernorm */;
        }
    }

    /// <summary>FLOPs of encoding one image through <paramref name="layers"/> layers (default all).</summary>
    public double Flops(int? layers = null)
    {
        double d = HiddenSize, t = NumPatches + 1;
        double embed = 2.0 * NumPatches * NumChannels * PatchSize * PatchSize * d;
        double layer = 2 * t * 4 * d * d + 2 * 2 * t * t * d + 2 * t * 2 * d * IntermediateSize;
        return embed + (layers ?? NumLayers) * layer;
    }
}
