using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Training.Pretraining;

/// <summary>
/// A Qwen2.5-VL-style base VLM (<see cref="SceneQwen"/>) as <see cref="Pretrainer"/> trains it on variable-resolution scenes.
/// Stage 0 trains the tower with its merger, the dense heads reading the merger's output tokens: one per 8 px scene patch
/// (merged token j is scene patch j), and the very features the LLM reads, as LLaVA's heads read the feature layer its
/// projector reads (the mean of each 2 × 2 group before the merger would leave the merger untrained and its input unshaped);
/// the objects-present head reads their mean (the tower has no CLS). The language stages train the merger, which plays
/// LLaVA's projector, with the LLM; the blocks before it stay frozen.
/// </summary>
sealed class QwenPretrainModel(Qwen25VlModel model, SceneOptions scenes) : IPretrainModel
{
    public Qwen25VlModel Model { get; } = model;

    public IVisionLanguageModel Vlm => Model;

    public Module Module => Model;

    public string ConfigJson => HfConfig.ToJson(Model.Config);

    /// <summary>Vision start, the largest scene's merged tokens, vision end.</summary>
    public int MaxImagePositions => MaxGridSide * MaxGridSide + 2;

    /// <summary>Merged tokens (scene patches) along the longest side a scene can have.</summary>
    int MaxGridSide => (scenes.VariableSides?.Max() ?? Math.Max(scenes.ImageWidth, scenes.ImageHeight)) / (Model.Config.Vision.PatchSize * Model.Config.Vision.SpatialMergeSize);

    public VisionDenseHeads CreateHeads(PretrainOptions options, Generator gen) =>
        new(Model.Config.Vision.OutHiddenSize, gen, options.PositionHeads ? MaxGridSide : null, options.Scenes.LabelValues);

    public (Tensor Loss, DenseAccuracy Accuracy) DenseLoss(VisionDenseHeads heads, IReadOnlyList<Scene> scenes)
    {
        var tokens = scenes.Select(s => Model.Visual.Encode(SceneQwen.Pixels(s.Image)).Tokens).ToArray(); // each (N_i, E)
        return heads.Loss(Tensor.Cat(tokens, 0), Tensor.Cat(tokens.Select(t => t.Mean(0, keepDim: true)).ToArray(), 0), scenes);
    }

    public IEnumerable<Tensor> Train(bool vision)
    {
        Model.Visual.RequiresGrad(vision);
        Model.Visual.Merger.RequiresGrad(true);
        Model.LanguageModel.RequiresGrad(!vision);
        return vision ? Model.Visual.Parameters() : Model.Visual.Merger.Parameters().Concat(Model.LanguageModel.Parameters());
    }

    /// <summary>Each image through the frozen blocks without gradients, then the merger with them.</summary>
    public VisualTokens EncodeImages(IReadOnlyList<RgbImage> images) => Qwen25VlModel.Batch(images.Select(image =>
    {
        (Tensor Hidden, Qwen25PatchGrid Grid) encoded;
        using (Autograd.NoGrad()) encoded = Model.Visual.EncodeHidden(SceneQwen.Pixels(image));
        return new Qwen25VisionOutput(Model.Visual.Merger.Forward(encoded.Hidden), encoded.Grid);
    }).ToArray());

    /// <summary>Merged token j is scene patch j (<see cref="SceneQwen"/>): the kept patches are the kept tokens.</summary>
    public int[] TokensShowing(int[] keptPatches, Scene scene) => keptPatches;

    /// <summary>A model folder of the same architecture, or a pretraining checkpoint of it; or a LLaVA-style model folder,
    /// whose LLM starts this one's (<see cref="StartLanguageModelFrom"/>).</summary>
    public void LoadWeights(string source)
    {
        if (!Directory.Exists(source))
        {
            Pretrainer.LoadCheckpointWeights(source, Model, ConfigJson);
            return;
        }
        if (HfConfig.ModelType(HfCheckpoint.ReadConfig(source), Path.Combine(source, "config.json")) != "qwen2_5_vl")
        {
            StartLanguageModelFrom(HfCheckpoint.LoadLlava(source).LanguageModel, source);
            return;
        }
        var other = HfCheckpoint.LoadQwen25Vl(source);
        if (HfConfig.ToJson(other.Config) != ConfigJson)
            throw new InvalidDataException($"{source} holds another architecture than the Qwen2.5-VL-style model being trained: give a model folder that pretrain --resolution variable wrote with the same options");
        Model.LoadStateDict(other.StateDict(), strict: true, source: source);
    }

    /// <summary>
    /// Copies a LLaMA of the same shape (a LLaVA-style SceneBench model's LLM) into this LLM: its weights, the rows of its
    /// embeddings and head for the words (the vision start and end rows keep their fresh draw), and q/k/v biases of zero, so
    /// that on text, whose ids are equal in all three M-RoPE planes (where M-RoPE is RoPE), it computes what the LLaMA did.
    /// The tower and merger stay as drawn: stage 0 trains them.
    /// </summary>
    /// <exception cref="InvalidDataException">A LLaMA of other widths, depth or RoPE, or a larger vocabulary.</exception>
    void StartLanguageModelFrom(LlamaForCausalLM llama, string source)
    {
        var to = Model.LanguageModel.Config;
        var shaped = llama.Config with { VocabSize = to.VocabSize, MaxPositionEmbeddings = to.MaxPositionEmbeddings, AttentionBias = true, MropeSection = to.MropeSection };
        if (HfConfig.ToJson(shaped) != HfConfig.ToJson(to) || llama.Config.VocabSize > to.VocabSize)
            throw new InvalidDataException($"{source}: its LLM ({llama.Config.NumLayers} layers, {llama.Config.HiddenSize} wide, vocabulary {llama.Config.VocabSize}) " +
                $"is not this model's ({to.NumLayers} layers, {to.HiddenSize} wide, vocabulary {to.VocabSize}): give a model pretrained with the same --lm-layers");
        var weights = llama.StateDict();
        foreach (var (name, p) in Model.LanguageModel.NamedParameters())
        {
            if (!weights.TryGetValue(name, out var from)) p.Data.Clear(); // q/k/v biases: a LLaMA has none
            else from.Data.CopyTo(p.Data); // embed_tokens and lm_head: the words' rows, the first ones
        }
    }

    public void Save(string dir, IReadOnlyDictionary<string, string> metadata) => HfCheckpoint.Save(Model, dir, metadata);
}
