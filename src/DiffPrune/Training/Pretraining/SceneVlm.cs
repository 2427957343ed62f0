using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Training.Pretraining;

/// <summary>
/// The embedded default base VLM for SceneBench: LLaVA-1.5's layout at 1.7 M parameters. A CLIP-style ViT
/// (128 wide, 4 layers, quick_gelu) reads the scene at its own patch size, so each visual token is one SceneBench
/// patch; a LLaMA (128 wide, 4 layers, SwiGLU 344, untied head) over the word tokenizer answers.
/// </summary>
public static class SceneVlm
{
    /// <summary>The LLM's depth unless asked otherwise.</summary>
    public const int DefaultLanguageLayers = 4;

    /// <summary>The architecture for scenes generated with <paramref name="scenes"/> and a vocabulary of <paramref name="vocabSize"/>,
    /// with an LLM of <paramref name="languageLayers"/> layers.</summary>
    public static LlavaConfig Config(SceneOptions scenes, int vocabSize, int languageLayers = DefaultLanguageLayers) =>
        scenes.Resolution == SceneResolution.High ? AnyRes(Standard(SceneOptions.Default with { PatchSize = scenes.PatchSize }, vocabSize, languageLayers))
        : Standard(scenes, vocabSize, languageLayers);

    /// <summary>The SceneBench scenes of <paramref name="bench"/> that a model of <paramref name="cfg"/> reads: high-resolution scenes
    /// for a LLaVA-NeXT model (<see cref="AnyRes"/>), else square scenes of its tower's N patches.</summary>
    /// <exception cref="ArgumentException">A tower of a grid SceneBench does not draw (neither 144 nor 81 patches).</exception>
    public static SceneOptions Scenes(SceneBenchConfiguration bench, LlavaConfig cfg) =>
        SceneOptions.For(bench, cfg.Vision.NumPatches, cfg.IsAnyRes ? SceneResolution.High : SceneResolution.Standard);

    /// <summary>The scenes <paramref name="vlm"/> reads: those of <see cref="Scenes(SceneBenchConfiguration, LlavaConfig)"/> for a LLaVA
    /// model, else (native resolution: each image its own N) scenes each of its own size (<see cref="SceneResolution.Variable"/>).</summary>
    public static SceneOptions Scenes(SceneBenchConfiguration bench, IVisionLanguageModel vlm) => vlm is LlavaModel llava
        ? Scenes(bench, llava.Config)
        : SceneOptions.For(bench, SceneOptions.Default.PatchCount, SceneResolution.Variable);

    /// <summary>Whether <paramref name="vlm"/> reads scenes of geometry <paramref name="scenes"/> (as <see cref="Scenes(SceneBenchConfiguration, IVisionLanguageModel)"/> draws them).</summary>
    public static bool Reads(IVisionLanguageModel vlm, SceneOptions scenes) => vlm is LlavaModel llava
        ? Reads(llava.Config, scenes)
        : scenes.Resolution == SceneResolution.Variable;

    /// <summary>How <see cref="Reads(IVisionLanguageModel, SceneOptions)"/> fails, for an error message.</summary>
    public static string Mismatch(IVisionLanguageModel vlm, SceneOptions scenes) => vlm is LlavaModel llava
        ? Mismatch(llava.Config, scenes)
        : $"{scenes.Resolution.Name()} scenes do not fit a native-resolution model, which reads scenes each of its own size (variable resolution)";

    /// <summary>Whether a model of <paramref name="cfg"/> reads scenes of geometry <paramref name="scenes"/> (as <see cref="Scenes(SceneBenchConfiguration, LlavaConfig)"/> draws them).</summary>
    public static bool Reads(LlavaConfig cfg, SceneOptions scenes) => cfg.IsAnyRes
        ? scenes.Resolution == SceneResolution.High && scenes.PatchSize == cfg.Vision.PatchSize
        : scenes.Resolution == SceneResolution.Standard && scenes.PatchCount == cfg.Vision.NumPatches && scenes.ImageSize == cfg.Vision.ImageSize;

    /// <summary>How <see cref="Reads(LlavaConfig, SceneOptions)"/> fails, for an error message: the scenes' geometry and the model's.</summary>
    public static string Mismatch(LlavaConfig cfg, SceneOptions scenes) =>
        $"{scenes.Resolution.Name()} scenes of {scenes.ImageWidth}x{scenes.ImageHeight} px / {scenes.PatchCount} patches do not fit the VLM's " +
        (cfg.IsAnyRes ? $"AnyRes tiling of {cfg.Vision.ImageSize} px tiles (it reads high-resolution scenes)" : $"{cfg.Vision.ImageSize} px / {cfg.Vision.NumPatches} patches");

    /// <summary>
    /// The LLaVA-NeXT-style model for <see cref="SceneResolution.High"/> scenes: <paramref name="standard"/>'s towers with 96 px
    /// tiles, LLaVA-NeXT-7B's pinpoints scaled from 336 to the tile side (1×2, 2×1, 2×2, 1×3 and 3×1 tiles), the learned
    /// image_newline, and positions for the base view, four tiles' tokens and a newline per grid row (5 × 144 + 24 for a
    /// 192 px scene) before the text.
    /// </summary>
    public static LlavaConfig AnyRes(LlavaConfig standard)
    {
        int t = standard.Vision.ImageSize;
        return standard with
        {
            ImageGridPinpoints = [(t, 2 * t), (2 * t, t), (2 * t, 2 * t), (3 * t, t), (t, 3 * t)],
            Text = standard.Text with { MaxPositionEmbeddings = 1024 },
        };
    }

    static LlavaConfig Standard(SceneOptions scenes, int vocabSize, int languageLayers) => new()
    {
        Vision = new VisionConfig
        {
            ImageSize = scenes.ImageSize,
            PatchSize = scenes.PatchSize,
            HiddenSize = 128,
            IntermediateSize = 512,
            NumLayers = 4,
            NumHeads = 4,
            HiddenAct = Activation.QuickGelu,
        },
        Text = LanguageModel(vocabSize, languageLayers),
        ImageTokenId = WordTokenizer.ImageId,
    };

    /// <summary>The LLM of every SceneBench VLM: a LLaMA 128 wide with <paramref name="layers"/> layers, SwiGLU 344, 4 heads,
    /// an untied head and 512 positions, over <paramref name="vocabSize"/> words.</summary>
    internal static LlamaConfig LanguageModel(int vocabSize, int layers) => new()
    {
        VocabSize = vocabSize,
        HiddenSize = 128,
        IntermediateSize = 344,
        NumLayers = layers,
        NumHeads = 4,
        NumKvHeads = 4,
        // a separate output head: tied to embeddings at the visual tokens' scale, logits start far too large
        TieWordEmbeddings = false,
        MaxPositionEmbeddings = 512,
    };

    /// <summary>
    /// A fresh model whose token embeddings are drawn at the RMS of the projected visual tokens: at the usual
    /// std 0.02 the question is drowned out by the 144 visual tokens and the model learns to ignore it.
    /// </summary>
    public static LlavaModel Create(LlavaConfig cfg, Generator gen, IReadOnlyList<RgbImage> probeImages)
    {
        var model = new LlavaModel(cfg, gen);
        float rms;
        using (Autograd.NoGrad())
        {
            var projected = model.Projector.Forward(model.EncodeImages(probeImages).Features);
            rms = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(projected.Data) / projected.Numel);
        }
        gen.FillNormal(model.LanguageModel.Model.EmbedTokens.Weight.Data, 0f, rms);
        return model;
    }
}
