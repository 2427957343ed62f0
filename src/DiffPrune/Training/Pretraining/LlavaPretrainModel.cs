using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Training.Pretraining;

/// <summary>A LLaVA-style base VLM (<see cref="SceneVlm"/>) as <see cref="Pretrainer"/> trains it: stage 0 on the CLIP tower's
/// feature layer (its patch tokens and pooled CLS), then the projector and the LLM with the tower frozen.</summary>
sealed class LlavaPretrainModel(LlavaModel model) : IPretrainModel
{
    public LlavaModel Model { get; } = model;

    public IVisionLanguageModel Vlm => Model;

    public Module Module => Model;

    public string ConfigJson => HfConfig.ToJson(Model.Config);

    public int MaxImagePositions => Model.Config.MaxImagePositions;

    public VisionDenseHeads CreateHeads(PretrainOptions options, Generator gen) =>
        new(Model.Config.Vision.HiddenSize, gen, options.PositionHeads ? Model.Config.Vision.GridSize : null, options.Scenes.LabelValues);

    public (Tensor Loss, DenseAccuracy Accuracy) DenseLoss(VisionDenseHeads heads, IReadOnlyList<Scene> scenes)
    {
        var tower = Model.VisionTower.VisionModel;
        return heads.Loss(tower, tower.Forward(ImageTensors.ToTensor(scenes.Select(s => s.Image).ToArray(), ImageNormalization.Clip)), Model.Config.VisionLayersNeeded, scenes);
    }

    public IEnumerable<Tensor> Train(bool vision)
    {
        Model.VisionTower.RequiresGrad(vision);
        Model.Projector.RequiresGrad(!vision);
        Model.LanguageModel.RequiresGrad(!vision);
        return vision ? Model.VisionTower.Parameters() : Model.Projector.Parameters().Concat(Model.LanguageModel.Parameters());
    }

    public VisualTokens EncodeImages(IReadOnlyList<RgbImage> images)
    {
        using (Autograd.NoGrad()) return Model.EncodeImages(images); // the projector runs in the answer loss
    }

    /// <summary>Each patch its token; a LLaVA-NeXT model's tokens that overlap a kept patch.</summary>
    public int[] TokensShowing(int[] keptPatches, Scene scene) => Model.Config.IsAnyRes
        ? BackgroundDrop.TokensShowing(keptPatches, scene, AnyResLayout.For(scene.Image.Height, scene.Image.Width, Model.Config))
        : keptPatches;

    public void LoadWeights(string source) => Pretrainer.LoadModelWeights(source, Model);

    public void Save(string dir, IReadOnlyDictionary<string, string> metadata) => HfCheckpoint.Save(Model, dir, metadata);
}
