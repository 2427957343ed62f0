using DiffPrune.Data.Images;
using DiffPrune.Tensors;

namespace DiffPrune.Models.Vlm;

/// <summary>
/// Encodes one image the LLaVA-NeXT way: its views (<see cref="AnyResTiler"/>) go through the vision tower as one batch,
/// and the patch features are gathered into one sequence of N visual tokens in llava-hf's packing order
/// (<see cref="AnyResLayout"/>), with each token's position in the image's span as its patch index. Pruners see this
/// sequence like any other; the newlines are added when the input is assembled (<see cref="LlavaModel.BuildInput"/>).
/// </summary>
public static class AnyResEncoder
{
    /// <summary>The visual tokens (1, N, d_v) of <paramref name="image"/>, with their span and positions; no tower output is kept
    /// (one attention map per view does not describe the sequence).</summary>
    /// <exception cref="ArgumentException">The model has no pinpoints.</exception>
    public static VisualTokens Encode(LlavaModel vlm, RgbImage image, ImageNormalization normalization)
    {
        var layout = AnyResLayout.For(image.Height, image.Width, vlm.Config);
        var views = vlm.EncodeImages(ImageTensors.ToTensor(AnyResTiler.Views(image, layout), normalization)).Features; // (views, g², d_v)
        int d = views.Shape[2];
        var features = views.Reshape(-1, d).IndexSelect(0, layout.SourceRows()).Reshape(1, layout.VisualTokens, d);
        return new VisualTokens(features, [layout.Positions()], null) { Spans = [layout.Span()] };
    }
}
