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

    int? IVisionLanguageModel.BudgetTokens => Config.Vision.NumPatches;

    int IVisionLanguageModel.TokenCount(RgbImage image) =>
        Config.IsAnyRes ? AnyResLayout.For(image.Height, image.Width, Config).VisualTokens : Config.Vision.NumPatches;

    /// <summary>A LLaVA-NeXT model takes images of any size and encodes each as its tiles (<see cref="AnyResEncoder"/>): its
    /// images then hold different numbers of tokens, zero-padded in the batch.</summary>
    /// <exception cref="ArgumentException">Attention maps asked of a LLaVA-NeXT model (its tiles have one map each, none for the sequence).</exception>
    VisualTokens IVisionLanguageModel.Encode(IReadOnlyList<RgbImage> images, ImageNormalization normalization, bool attentions)
    {
        if (!Config.IsAnyRes)
        {
            var encoded = EncodeImages(ImageTensors.ToTensor(images, normalization), attentions);
            return attentions ? encoded : encoded with { Vision = null };
        }
        if (attentions)
            throw new ArgumentException("this method reads the vision tower's attention maps, which a LLaVA-NeXT image (several tiles, each its own map) " +
                "does not have as one: use a method that reads features only (DiffPrune, DivPrune, Random, DART, FastV, …)");
        return VisualTokens.Cat(images.Select(i => AnyResEncoder.Encode(this, i, normalization)).ToArray());
    }

    Tensor IVisionLanguageModel.Project(Tensor features) => Projector.Forward(features);

    DecoderInput IVisionLanguageModel.BuildInput(VisualTokens projected, int[][] textIds, int[][]? textSegments) =>
        BuildInput(projected.Features, projected.PatchIndex, textIds, textSegments: textSegments, spans: projected.Spans);

    int IVisionLanguageModel.ImagePositions(VisualTokens tokens, int sample) => tokens.Spans?[sample].Length ?? Config.Vision.NumPatches;

    /// <summary>The longest prompt (its image token among its tokens) with N = g² visual tokens and the answer.</summary>
    void IVisionLanguageModel.CheckPositions(IReadOnlyList<(RgbImage Image, int[] TextIds)> queries, int answerTokens)
    {
        int textTokens = queries.Select(q => q.TextIds.Length).DefaultIfEmpty(0).Max();
        long needed = (long)textTokens - 1 + Config.Vision.NumPatches + answerTokens;
        int positions = Config.Text.MaxPositionEmbeddings;
        if (needed > positions)
            throw new ResourceLimitException($"the question is {textTokens - 1} prompt tokens, which with {Config.Vision.NumPatches} visual tokens and up to {answerTokens} answer tokens " +
                $"need {needed} positions; the model has {positions} (max_position_embeddings): shorten the question");
    }
}
