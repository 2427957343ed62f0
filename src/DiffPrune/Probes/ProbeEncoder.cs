using DiffPrune.Models.Vision;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Probes;

/// <summary>
/// One encoder size of the pilot probe: a DeiT-style ViT over 56×56 gray images in 4×4 patches (N = 196, as DeiT's 224 px
/// in 16 px patches), MLP ratio 4, GELU, LayerNorm ε = 1e-6. Sizes scale like the DeiT family (width and heads together).
/// </summary>
/// <param name="Name">Short name for reports ("tiny", "small").</param>
/// <param name="Width">Token width d.</param>
/// <param name="Depth">Encoder blocks.</param>
/// <param name="Heads">Attention heads (must divide the width).</param>
public sealed record ProbeEncoder(string Name, int Width, int Depth, int Heads)
{
    /// <summary>The ViT's shape.</summary>
    public VisionConfig Config => new VisionConfig
    {
        ImageSize = ProbeImages.ImageSize,
        PatchSize = 4,
        NumChannels = 1,
        HiddenSize = Width,
        IntermediateSize = 4 * Width,
        NumLayers = Depth,
        NumHeads = Heads,
        HiddenAct = Activation.Gelu,
        LayerNormEps = 1e-6f,
    }.Validate();

    /// <summary>"small (d 64, 2 blocks, 4 heads)".</summary>
    public override string ToString() => $"{Name} (d {Width}, {Depth} block{(Depth == 1 ? "" : "s")}, {Heads} head{(Heads == 1 ? "" : "s")})";
}
