using DiffPrune.Data.Images;
using DiffPrune.Models.Llama;
using DiffPrune.Tensors;

namespace DiffPrune.Models.Vlm;

/// <summary>
/// What <see cref="VlmInference"/> needs of a VLM, the steps that differ between LLaVA (<see cref="LlavaModel"/>: one grid
/// for every image, or LLaVA-NeXT's tiles) and Qwen2.5-VL (<see cref="Qwen25VlModel"/>: each image at its own size, its own
/// merged grid): images → visual tokens (in the space pre-LLM methods act on), those tokens → the language model's space,
/// and a prompt holding the image token once → the language model's input. Everything else (the feature cache, pre-LLM
/// pruning image by image, batched KV-cached generation with a shared prefix per image) is <see cref="VlmInference"/>'s,
/// written once.
/// </summary>
public interface IVisionLanguageModel
{
    /// <summary>The language model.</summary>
    LlamaForCausalLM LanguageModel { get; }

    /// <summary>The token a prompt holds exactly once where its image goes (<see cref="BuildInput"/> replaces it).</summary>
    int ImageTokenId { get; }

    /// <summary>Width of the visual tokens pre-LLM methods see and a pruner scores (LLaVA: d_v of the tower, before the
    /// projector; Qwen2.5-VL: the merger's output, the language model's width).</summary>
    int VisualWidth { get; }

    /// <summary>The most visual tokens an image can give (what a method's K is checked against before any image is seen).</summary>
    int MaxVisualTokens { get; }

    /// <summary>
    /// The N a table's budget fraction is taken of, K = fraction × N for every image (LLaVA: the tower's g²; LLaVA-NeXT: the
    /// most tokens an image gives, the N of every SceneBench high-resolution scene); null where each image's budget is its
    /// own, K_i = round(fraction × N_i) (Qwen2.5-VL at native resolution).
    /// </summary>
    int? BudgetTokens { get; }

    /// <summary>The visual tokens N <paramref name="image"/> gives unpruned (read off its size; nothing is encoded).</summary>
    int TokenCount(RgbImage image);

    /// <summary>Where <paramref name="image"/>'s unpruned tokens go (read off its size; nothing is encoded).</summary>
    TokenPlacement Place(RgbImage image);

    /// <summary>
    /// The visual tokens of <paramref name="images"/> (normalised with <paramref name="normalization"/>), in order, nothing
    /// pruned: a padded batch (<see cref="VisualTokens.CountOf"/>) where images give different numbers of tokens, with what
    /// places each image in the prompt (<see cref="VisualTokens.Spans"/> or <see cref="VisualTokens.Grids"/>), and the
    /// tower's hidden states and attention maps when <paramref name="attentions"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Images the model cannot encode, or attention maps it does not have (named, with what to use instead).</exception>
    VisualTokens Encode(IReadOnlyList<RgbImage> images, ImageNormalization normalization, bool attentions);

    /// <summary>Visual features (B, K, d_v) → the language model's space (B, K, d) (LLaVA's projector; Qwen2.5-VL's merged
    /// tokens are already there).</summary>
    Tensor Project(Tensor features);

    /// <summary>
    /// The language model's input: per sample, its text with the image token replaced by its image's kept tokens
    /// (<paramref name="projected"/>: features already in the language model's space, see <see cref="Project"/>), each at
    /// the position its patch index had with every token present, samples left-padded to a common length;
    /// <see cref="DecoderInput.TextIndex"/> indexes <paramref name="textIds"/>. <paramref name="textSegments"/> packs several
    /// turns about one image into one sample, each computing what it computes alone (see <see cref="LlavaModel.BuildInput"/>).
    /// </summary>
    /// <exception cref="ArgumentException">Sizes disagree, a text without exactly one image token, or something the model cannot place (named).</exception>
    DecoderInput BuildInput(VisualTokens projected, int[][] textIds, int[][]? textSegments = null);

    /// <summary>
    /// Position ids sample <paramref name="sample"/>'s image takes in the input, unpruned, counted so that text after it
    /// starts at (text before the image token) + this (LLaVA: N, or its span's length; Qwen2.5-VL: vision start, the
    /// grid's extent max(rows, cols), vision end). What a continuation after a prefilled image starts from
    /// (<see cref="ImageContinuation"/>).
    /// </summary>
    int ImagePositions(VisualTokens tokens, int sample);

    /// <summary>Refuses, before any memory is committed, queries (an image and a prompt holding its image token) that with
    /// their image and <paramref name="answerTokens"/> would run past the model's positions (a prefill that long takes memory
    /// quadratic in it).</summary>
    /// <exception cref="ResourceLimitException">A query needs more positions than the model has (it says by how much).</exception>
    void CheckPositions(IReadOnlyList<(RgbImage Image, int[] TextIds)> queries, int answerTokens);
}
