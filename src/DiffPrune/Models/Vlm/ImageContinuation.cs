using DiffPrune.Models.Llama;
using DiffPrune.Tensors;

namespace DiffPrune.Models.Vlm;

/// <summary>
/// Text that continues a prefix ending with an image (<c>text before it; the image</c>), already in a KV cache: the
/// embeddings of each row's text after the image, left-padded to a common length, at the positions the whole prompt gives
/// them (text before the image + the image's positions + m, in every M-RoPE plane alike, since text ids are equal in all
/// three), so that generation after the shared prefix computes what the whole prompt would.
/// </summary>
public static class ImageContinuation
{
    /// <summary>
    /// The continuation input of <paramref name="textAfterImage"/> (none empty) after <paramref name="textBeforeImage"/>
    /// text tokens and, per row, an image spanning <paramref name="imagePositions"/>[i] positions
    /// (<see cref="IVisionLanguageModel.ImagePositions"/>).
    /// </summary>
    /// <exception cref="ArgumentException">An empty continuation (its first answer token would come from the prefix), or
    /// image positions for another number of rows.</exception>
    public static DecoderInput Build(LlamaForCausalLM languageModel, int[][] textAfterImage, int textBeforeImage, int[] imagePositions)
    {
        int b = textAfterImage.Length, len = textAfterImage.Max(t => t.Length);
        if (textAfterImage.Any(t => t.Length == 0)) throw new ArgumentException("every continuation needs at least one token");
        if (imagePositions.Length != b) throw new ArgumentException($"{imagePositions.Length} span lengths for {b} continuations");
        var ids = new int[b * len];
        var positions = new int[b * len];
        var valid = new bool[b * len];
        for (int i = 0; i < b; i++)
        {
            int pad = len - textAfterImage[i].Length, n = imagePositions[i];
            for (int j = 0; j < textAfterImage[i].Length; j++)
            {
                ids[i * len + pad + j] = textAfterImage[i][j];
                positions[i * len + pad + j] = textBeforeImage + n + j;
                valid[i * len + pad + j] = true;
            }
        }
        return new DecoderInput(languageModel.Embed(new IntTensor(ids, b, len)), positions, valid);
    }
}
