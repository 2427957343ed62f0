using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Tests.Models;

/// <summary>Small random models for tests.</summary>
public static class TinyModels
{
    public static LlamaConfig Llama(bool tied = false) => new()
    {
        VocabSize = 40,
        HiddenSize = 32,
        IntermediateSize = 48,
        NumLayers = 4,
        NumHeads = 4,
        NumKvHeads = 2,
        TieWordEmbeddings = tied,
    };

    public static LlavaConfig Llava() => new()
    {
        Vision = new VisionConfig { ImageSize = 16, PatchSize = 4, HiddenSize = 24, IntermediateSize = 48, NumLayers = 3, NumHeads = 3, HiddenAct = Activation.QuickGelu },
        Text = Llama(),
        ImageTokenId = 3,
    };

    /// <summary>A toy VLM at SceneBench geometry (96 px, 8 px patches, 144 tokens) over the SceneBench word tokenizer:
    /// the real pipeline's shapes at a width where a training step takes milliseconds.</summary>
    public static LlavaConfig SceneLlava(int textWidth = 16)
    {
        int vocab = DiffPrune.Data.Text.WordTokenizer.ForSceneBench().VocabSize;
        return new()
        {
            Vision = new VisionConfig { ImageSize = 96, PatchSize = 8, HiddenSize = 16, IntermediateSize = 32, NumLayers = 2, NumHeads = 2, HiddenAct = Activation.QuickGelu },
            Text = new LlamaConfig { VocabSize = vocab, HiddenSize = textWidth, IntermediateSize = 24, NumLayers = 2, NumHeads = 2, NumKvHeads = 2, TieWordEmbeddings = false },
            ImageTokenId = DiffPrune.Data.Text.WordTokenizer.ImageId,
        };
    }

    /// <summary>A random LLaMA (seeded).</summary>
    public static LlamaForCausalLM RandomLlama(ulong seed = 1, bool tied = false) => new(Llama(tied), new Generator(seed));

    public static Tensor Pixels(int batch, ulong seed) => Tensor.Randn(new Generator(seed), [batch, 3, 16, 16]);

    public static DecoderInput Prompt(LlamaForCausalLM lm, int[] ids) =>
        new(lm.Embed(new IntTensor(ids, 1, ids.Length)), Enumerable.Range(0, ids.Length).ToArray());
}
