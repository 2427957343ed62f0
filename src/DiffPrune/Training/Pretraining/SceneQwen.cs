using DiffPrune.Data.Images;
using DiffPrune.Data.Text;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;

namespace DiffPrune.Training.Pretraining;

/// <summary>
/// The Qwen2.5-VL-style base VLM for SceneBench's variable-resolution scenes (72–144 px sides, 8 px scene patches): a
/// native-resolution tower of 4 px patches whose 2 × 2 merger gives one token per scene patch (N = (h/8)·(w/8), 81–324),
/// in the merged grid's row-major order, which is the scene's raster order; and a Qwen2-style LM (SceneVlm's LLaMA with
/// q/k/v biases and M-RoPE) over the word tokenizer with vision start and end appended (<see cref="Tokenizer"/>).
/// </summary>
public static class SceneQwen
{
    /// <summary>The token before an image's placeholders, appended to the word tokenizer.</summary>
    public const string VisionStart = "<vision_start>";
    /// <summary>The token after an image's placeholders, appended to the word tokenizer.</summary>
    public const string VisionEnd = "<vision_end>";

    /// <summary><paramref name="words"/> with <see cref="VisionStart"/> and <see cref="VisionEnd"/> appended: every existing id
    /// stays (a model of the word tokenizer reads the same prompts), and no text encodes to them (they are not special tokens
    /// the splitter knows, so only <see cref="Qwen25VlModel.ImagePlaceholders"/> puts them in a prompt).</summary>
    /// <exception cref="ArgumentException">The tokenizer already holds them.</exception>
    public static WordTokenizer Tokenizer(WordTokenizer words)
    {
        if (words.Contains(VisionStart) || words.Contains(VisionEnd))
            throw new ArgumentException($"the tokenizer already holds {VisionStart} or {VisionEnd}: give the plain SceneBench word tokenizer");
        return WordTokenizer.FromTokens([.. words.Tokens, VisionStart, VisionEnd]);
    }

    /// <summary>
    /// The architecture for <paramref name="tokenizer"/> (one of <see cref="Tokenizer"/>) with an LM of
    /// <paramref name="languageLayers"/> layers. Tower: SceneVlm's widths (128, 4 heads, 4 blocks) with SwiGLU 344 as in
    /// its LM; 4 px patches merged 2 × 2, so a merged token is a scene patch; 32 px windows (4 × 4 merged units: a 144 px
    /// scene has 5 × 5 windows, as Qwen's 112 px windows tile a ~1000 px image) and full attention in blocks 1 and 3 (Qwen's
    /// every 8th block, at depth 4 every 2nd), so objects that span windows are gathered twice. LM: SceneVlm's LLaMA plus
    /// Qwen2's q/k/v biases and M-RoPE sections [4, 6, 6] (Qwen2.5-VL's [16, 24, 24] of a 128-wide head, scaled to 32);
    /// 1024 positions (a 24-turn packed sequence with its image's 2 + 18 ids fits with room to spare).
    /// </summary>
    /// <exception cref="ArgumentException">A tokenizer without vision start and end.</exception>
    public static Qwen25VlConfig Config(WordTokenizer tokenizer, int languageLayers = SceneVlm.DefaultLanguageLayers)
    {
        if (!tokenizer.Contains(VisionStart) || !tokenizer.Contains(VisionEnd))
            throw new ArgumentException($"the tokenizer has no {VisionStart} and {VisionEnd} tokens: extend the SceneBench word tokenizer with SceneQwen.Tokenizer");
        return new Qwen25VlConfig
        {
            Vision = new Qwen25VisionConfig
            {
                Depth = 4,
                HiddenSize = 128,
                NumHeads = 4,
                IntermediateSize = 344,
                PatchSize = 4,
                SpatialMergeSize = 2,
                WindowSize = 32,
                FullAttentionBlocks = [1, 3],
                OutHiddenSize = 128,
            },
            Text = SceneVlm.LanguageModel(tokenizer.VocabSize, languageLayers) with
            {
                MaxPositionEmbeddings = 1024,
                AttentionBias = true,
                MropeSection = [4, 6, 6],
            },
            ImageTokenId = WordTokenizer.ImageId,
            VisionStartTokenId = tokenizer.IdOf(VisionStart),
            VisionEndTokenId = tokenizer.IdOf(VisionEnd),
        };
    }

    /// <summary>
    /// A fresh model whose token embeddings are drawn at the RMS of the merged visual tokens of <paramref name="probeImages"/>
    /// (as <see cref="SceneVlm.Create"/> does, for the same reason: at std 0.02 the question drowns among the visual tokens).
    /// </summary>
    public static Qwen25VlModel Create(Qwen25VlConfig cfg, Generator gen, IReadOnlyList<RgbImage> probeImages)
    {
        var model = new Qwen25VlModel(cfg, gen);
        float rms;
        using (Autograd.NoGrad())
        {
            var tokens = probeImages.Select(image => model.Visual.Encode(Pixels(image)).Tokens.ToArray()).SelectMany(t => t).ToArray(); // real tokens only, no padding
            rms = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(tokens) / tokens.Length);
        }
        gen.FillNormal(model.LanguageModel.Model.EmbedTokens.Weight.Data, 0f, rms);
        return model;
    }

    /// <summary>An image as the tower reads it: (3, h, w), CLIP-normalised (as <see cref="VlmInference"/> encodes it).</summary>
    public static Tensor Pixels(RgbImage image) =>
        ImageTensors.ToTensor([image], ImageNormalization.Clip).Reshape(3, image.Height, image.Width);
}
