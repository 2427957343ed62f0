using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
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

    /// <summary>A model folder of the same architecture, or a pretraining checkpoint of it.</summary>
    public void LoadWeights(string source)
    {
        if (!Directory.Exists(source))
        {
            Pretrainer.LoadCheckpointWeights(source, Model, ConfigJson);
            return;
        }
        var other = HfCheckpoint.LoadQwen25Vl(source);
        if (HfConfig.ToJson(other.Config) != ConfigJson)
            throw new InvalidDataException($"{source} holds another architecture than the Qwen2.5-VL-style model being trained: give a model folder that pretrain --resolution variable wrote with the same options");
        Model.LoadStateDict(other.StateDict(), strict: true, source: source);
    }

    public void Save(string dir, IReadOnlyDictionary<string, string> metadata) => HfCheckpoint.Save(Model, dir, metadata);
}
