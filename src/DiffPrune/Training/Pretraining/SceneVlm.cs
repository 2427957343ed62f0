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
    public static LlavaConfig Config(SceneOptions scenes, int vocabSize, int languageLayers = DefaultLanguageLayers) => new()
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
        Text = new LlamaConfig
        {
            VocabSize = vocabSize,
            HiddenSize = 128,
            IntermediateSize = 344,
            NumLayers = languageLayers,
            NumHeads = 4,
            NumKvHeads = 4,
            // a separate output head: tied to embeddings at the visual tokens' scale, logits start far too large
            TieWordEmbeddings = false,
            MaxPositionEmbeddings = 512,
        },
        ImageTokenId = WordTokenizer.ImageId,
    };

    /// <summary>
    /// A fresh model whose token embeddings are drawn at the RMS of the projected visual tokens: at the usual
    /// std 0.02 the question is drowned out by the 144 visual tokens and the model learns to ignore it.
    /// </summary>
    public static LlavaModel Create(LlavaConfig cfg, Generator gen, Tensor probePixels)
    {
        var model = new LlavaModel(cfg, gen);
        float rms;
        using (Autograd.NoGrad())
        {
            var projected = model.Projector.Forward(model.EncodeImages(probePixels).Features);
            rms = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(projected.Data) / projected.Numel);
        }
        gen.FillNormal(model.LanguageModel.Model.EmbedTokens.Weight.Data, 0f, rms);
        return model;
    }
}
