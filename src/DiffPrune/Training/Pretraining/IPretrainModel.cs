using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Training.Pretraining;

/// <summary>
/// What <see cref="Pretrainer"/>'s three stages need of the base VLM they train, the steps where a LLaVA-style model
/// (<see cref="LlavaPretrainModel"/>) and a Qwen2.5-VL-style one (<see cref="QwenPretrainModel"/>) differ: stage 0's per-patch
/// features, the parameters each stage trains, the images encoded for the language stages, and how the model is stored.
/// Everything else (data, packing, losses, optimizers, checkpoints, data parallelism) is the pretrainer's, written once.
/// </summary>
interface IPretrainModel
{
    /// <summary>The model, as <see cref="VlmInference"/> runs it.</summary>
    IVisionLanguageModel Vlm { get; }

    /// <summary>The same model as a module (its weights, under its checkpoint names).</summary>
    Module Module { get; }

    /// <summary>Its config.json, stored in checkpoints so that a resume on another architecture is refused.</summary>
    string ConfigJson { get; }

    /// <summary>Positions the image takes at most in a language-stage sequence (for bounding a group's attention maps).</summary>
    int MaxImagePositions { get; }

    /// <summary>Stage 0's heads, drawn from <paramref name="gen"/>, for this model's per-patch features.</summary>
    VisionDenseHeads CreateHeads(PretrainOptions options, Generator gen);

    /// <summary>Stage 0's loss on <paramref name="scenes"/>: one feature per scene patch (raster order) through the heads.</summary>
    (Tensor Loss, DenseAccuracy Accuracy) DenseLoss(VisionDenseHeads heads, IReadOnlyList<Scene> scenes);

    /// <summary>The parameters stage 0 (<paramref name="vision"/>) or a language stage trains, the others frozen.</summary>
    IEnumerable<Tensor> Train(bool vision);

    /// <summary>The language stages' visual tokens of <paramref name="images"/>, nothing pruned: the frozen tower without
    /// gradients, what plays the projector with them.</summary>
    VisualTokens EncodeImages(IReadOnlyList<RgbImage> images);

    /// <summary>The visual tokens (slots, ascending) that show the scene patches <paramref name="keptPatches"/> of
    /// <paramref name="scene"/> (<see cref="BackgroundDrop"/>).</summary>
    int[] TokensShowing(int[] keptPatches, Scene scene);

    /// <summary>Fills the model from a pretraining checkpoint file or a model folder (<see cref="PretrainOptions.InitFrom"/>).</summary>
    /// <exception cref="InvalidDataException">Another architecture, or not a checkpoint / model folder.</exception>
    void LoadWeights(string source);

    /// <summary>Writes the model's folder (config.json, model.safetensors with <paramref name="metadata"/>).</summary>
    void Save(string dir, IReadOnlyDictionary<string, string> metadata);
}
