using DiffPrune.Data.Images;
using DiffPrune.Models.Llama;
using DiffPrune.Tensors;

namespace DiffPrune.Models.Vlm;

/// <summary>A LLaVA model as <see cref="VlmInference"/> runs it (<see cref="IVisionLanguageModel"/>): images of the tower's
/// size as one batch, or LLaVA-NeXT images each as its tiles.</summary>
public sealed partial class LlavaModel
{
    int IVisionLanguageModel.ImageTokenId => Config.ImageTokenId;

    int IVisionLanguageModel.VisualWidth => Config.Vision.HiddenSize;

    int IVisionLanguageModel.MaxVisualTokens => Config.MaxVisualTokens;

    /// <summary>N for every image: the tower's patches, or on LLaVA-NeXT the most an image can give (the N of SceneBench's high-resolution
    /// scenes, whose size every such scene shares), so that in-LLM methods run at one K.</summary>
    int? IVisionLanguageModel.BudgetTokens => Config.MaxVisualTokens;

    /// <summary>Each token at its patch, or on LLaVA-NeXT at its position in the image's span (<see cref="AnyResLayout"/>).</summary>
    public TokenPlacement Place(RgbImage image)
    {
        if (!Config.IsAnyRes) return new(Enumerable.Range(0, Config.Vision.NumPatches).ToArray());
        var layout = AnyResLayout.For(image.Height, image.Width, Config);
        return new(layout.Positions(), layout.Span());
    }

    int IVisionLanguageModel.TokenCount(RgbImage image) =>
        Config.IsAnyRes ? AnyResLayout.For(image.Height, image.Width, Config).VisualTokens : Config.Vision.NumPatches;

    /// <summary>A LLaVA-NeXT model takes images of any size and encodes each as its tiles (<see cref="AnyResEncoder"/>): its
    /// images then hold different numbers of tokens, zero-padded in the batch.</summary>
    /// <exception cref="ArgumentException">Attention maps asked of a LLaVA-NeXT model (its tiles have one map each, none for the sequence).</exception>
    VisualTokens IVisionLanguageModel.Encode(IReadOnlyList<RgbImage> images, ImageNormalization normalization, bool attentions)
    {
        if (!attentions) return EncodeImages(images, normalization);
        if (Config.IsAnyRes)
            throw new ArgumentException("this method reads the vision tower's attention maps, which a LLaVA-NeXT image (several tiles, each its own map) " +
                "does not have as one: use a method that reads features only (DiffPrune, DivPrune, Random, DART, FastV, …)");
        return EncodeImages(ImageTensors.ToTensor(images, normalization), attentions);
    }

    Tensor IVisionLanguageModel.Project(Tensor features) => Projector.Forward(features);

    DecoderInput IVisionLanguageModel.BuildInput(VisualTokens projected, int[][] textIds, int[][]? textSegments) =>
        BuildInput(projected.Features, projected.PatchIndex, textIds, textSegments: textSegments, spans: projected.Spans);

    int IVisionLanguageModel.ImagePositions(VisualTokens tokens, int sample) => tokens.Spans?[sample].Length ?? Config.Vision.NumPatches;

    /// <summary>The longest prompt (its image token among its tokens) with the most positions an image of the batch takes (N = g², or
    /// a LLaVA-NeXT image's span) and the answer.</summary>
    void IVisionLanguageModel.CheckPositions(IReadOnlyList<(RgbImage Image, int[] TextIds)> queries, int answerTokens)
    {
        int textTokens = queries.Select(q => q.TextIds.Length).DefaultIfEmpty(0).Max();
        int image = queries.Select(q => q.Image).Distinct(ReferenceEqualityComparer.Instance).Cast<RgbImage>()
            .Select(i => Place(i).Span?.Length ?? Config.Vision.NumPatches).DefaultIfEmpty(0).Max();
        long needed = (long)textTokens - 1 + image + answerTokens;
        int positions = Config.Text.MaxPositionEmbeddings;
        if (needed > positions)
            throw new ResourceLimitException($"the question is {textTokens - 1} prompt tokens, which with {image} image positions and up to {answerTokens} answer tokens " +
                $"need {needed} positions; the model has {positions} (max_position_embeddings): shorten the question");
    }
}
