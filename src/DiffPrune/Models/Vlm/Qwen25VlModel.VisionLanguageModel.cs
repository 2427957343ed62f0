using DiffPrune.Data.Images;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Tensors;

namespace DiffPrune.Models.Vlm;

/// <summary>
/// A Qwen2.5-VL model as <see cref="VlmInference"/> runs it (<see cref="IVisionLanguageModel"/>): each image at its own
/// size through the tower alone, its merged tokens a row of a padded batch with its grid (<see cref="VisualTokens.Grids"/>);
/// a prompt holds the image token (<see cref="Qwen25VlConfig.ImageTokenId"/>) once, as a LLaVA prompt does, and the input
/// puts the image's vision start, kept merged tokens and vision end there (<see cref="ImagePlaceholders"/>). The text after
/// the image depends on the grid only through max(rows, cols), so a prefix up to the image, prefilled once, is continued
/// exactly by <see cref="ImageContinuation"/> (text ids are equal in all three M-RoPE planes).
/// </summary>
public sealed partial class Qwen25VlModel
{
    int IVisionLanguageModel.ImageTokenId => Config.ImageTokenId;

    int IVisionLanguageModel.VisualWidth => Config.Text.HiddenSize;

    /// <summary>HF's image processor resizes an image to at most max_pixels = 12,845,056 = 16,384 merged units of 28 px.</summary>
    int IVisionLanguageModel.MaxVisualTokens => 16384;

    /// <summary>Each image its own budget: native resolution gives each its own N.</summary>
    int? IVisionLanguageModel.BudgetTokens => null;

    /// <summary>Pixels per side of one merged token (patch_size × spatial_merge_size).</summary>
    int UnitPixels => Config.Vision.PatchSize * Config.Vision.SpatialMergeSize;

    int IVisionLanguageModel.TokenCount(RgbImage image) => image.Height / UnitPixels * (image.Width / UnitPixels);

    /// <summary>Merged tokens 0..N−1 of the image's grid (its sides must be multiples of <see cref="UnitPixels"/>).</summary>
    TokenPlacement IVisionLanguageModel.Place(RgbImage image)
    {
        var grid = Config.Vision.Grid(image.Height / Config.Vision.PatchSize, image.Width / Config.Vision.PatchSize);
        return new(Enumerable.Range(0, grid.Tokens).ToArray(), Grid: grid);
    }

    /// <summary>Pixels of <paramref name="images"/> as they are: each side must be a multiple of patch_size × spatial_merge_size
    /// (Qwen's image processor resizes to that; here a caller does).</summary>
    /// <remarks>With <paramref name="attentions"/>, each token carries the attention it receives in the tower's last block
    /// (<see cref="VisualTokens.GlobalAttention"/>): the tower has no CLS token to read.</remarks>
    /// <exception cref="ArgumentException">An image whose sides the merged grid does not divide.</exception>
    VisualTokens IVisionLanguageModel.Encode(IReadOnlyList<RgbImage> images, ImageNormalization normalization, bool attentions)
    {
        for (int i = 0; i < images.Count; i++)
            if (images[i].Width % UnitPixels != 0 || images[i].Height % UnitPixels != 0)
                throw new ArgumentException($"qwen2.5-vl: image {i} is {images[i].Width} × {images[i].Height} px; both sides must be multiples of " +
                    $"patch_size × spatial_merge_size = {UnitPixels} px: resize it first (as Qwen's image processor does)");
        var pixels = images.Select(image => ImageTensors.ToTensor([image], normalization).Reshape(3, image.Height, image.Width)).ToArray();
        return EncodeImages(pixels, attentions).Tokens;
    }

    /// <summary>The merged tokens are already in the language model's space: nothing to project.</summary>
    Tensor IVisionLanguageModel.Project(Tensor features) => features;

    /// <summary>Each text's image token becomes its grid's placeholders (shared by every packed turn: segment 0); the input's
    /// text indices then point back into the given texts (vision start and end are no text of theirs).</summary>
    /// <exception cref="ArgumentException">Tokens without grids, a text without exactly one image token, or segments that are
    /// not one per text token, 0 up to the image token.</exception>
    DecoderInput IVisionLanguageModel.BuildInput(VisualTokens projected, int[][] textIds, int[][]? textSegments)
    {
        var grids = GridsOf(projected);
        if (textIds.Length != grids.Count || (textSegments != null && textSegments.Length != grids.Count))
            throw new ArgumentException($"qwen2.5-vl: {textIds.Length} texts and {textSegments?.Length} segment lists for {grids.Count} images");
        var slots = textIds.Select(ImageSlot).ToArray();
        int[] Expand(int[] t, int i, int[] image) => [.. t[..slots[i]], .. image, .. t[(slots[i] + 1)..]];
        var expanded = textIds.Select((t, i) => Expand(t, i, ImagePlaceholders(grids[i]))).ToArray();
        var segments = textSegments?.Select((s, i) => Expand(PackedTurns.Of(s, textIds[i].Length, slots[i], i), i, new int[grids[i].Tokens + 2])).ToArray();
        var input = BuildInput(projected.Features, projected.PatchIndex, expanded, grids, segments);
        var index = input.TextIndex!;
        int len = index.Length / textIds.Length;
        for (int i = 0; i < textIds.Length; i++)
            for (int p = i * len; p < (i + 1) * len; p++)
                index[p] = GivenIndex(index[p], slots[i], grids[i].Tokens);
        return input;
    }

    /// <summary>Index into the given text of expanded-text index <paramref name="e"/> (−1: vision start, vision end, image or padding).</summary>
    static int GivenIndex(int e, int slot, int tokens) =>
        e < slot ? e : e == slot || e == slot + tokens + 1 ? -1 : e - tokens - 1;

    /// <summary>Vision start, the grid's extent (text after the image resumes past its largest id) and vision end.</summary>
    int IVisionLanguageModel.ImagePositions(VisualTokens tokens, int sample) => ImagePositions(GridsOf(tokens)[sample]);

    static int ImagePositions(Qwen25PatchGrid grid) => Math.Max(grid.MergedRows, grid.MergedCols) + 2;

    /// <summary>Each prompt with its own image's positions (from the image's size, before it is encoded) and the answer.</summary>
    void IVisionLanguageModel.CheckPositions(IReadOnlyList<(RgbImage Image, int[] TextIds)> queries, int answerTokens)
    {
        if (queries.Count == 0) return;
        var worst = queries.Select(q => (Text: q.TextIds.Length - 1, Image: Math.Max(q.Image.Height, q.Image.Width) / UnitPixels + 2))
            .MaxBy(q => (long)q.Text + q.Image);
        long needed = (long)worst.Text + worst.Image + answerTokens;
        int positions = Config.Text.MaxPositionEmbeddings;
        if (needed > positions)
            throw new ResourceLimitException($"the question is {worst.Text} prompt tokens, which with its image's {worst.Image} positions and up to {answerTokens} answer tokens " +
                $"need {needed} positions; the model has {positions} (max_position_embeddings): shorten the question or use a smaller image");
    }

    static IReadOnlyList<Qwen25PatchGrid> GridsOf(VisualTokens tokens) => tokens.Grids ?? throw new ArgumentException(
        "qwen2.5-vl: visual tokens without their patch grids (VisualTokens.Grids): take them from EncodeImages, or give the grids");

    int ImageSlot(int[] ids, int sample)
    {
        int count = ids.Count(t => t == Config.ImageTokenId);
        if (count != 1)
            throw new ArgumentException($"qwen2.5-vl: text of sample {sample} holds {count} image tokens (id {Config.ImageTokenId}); exactly one marks where the image goes " +
                "(its vision start, placeholders and vision end are put there)");
        return Array.IndexOf(ids, Config.ImageTokenId);
    }
}
