using System.Globalization;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tensors.IO;
using DiffPrune.Tensors.Nn;
using DiffPrune.Tensors.Optim;

namespace DiffPrune.Training.Pretraining;

/// <summary>
/// A pretraining checkpoint (<see cref="TrainingCheckpoint"/>): the VLM (<c>model.*</c>), the stage-0 heads
/// (<c>heads.*</c>) and the current stage's AdamW state, with the step, the options and the model config, so that
/// a resume with other options or another architecture is refused.
/// </summary>
public static class PretrainCheckpoint
{
    const string Format = "diffprune-pretrain-v1";

    /// <summary>What <see cref="Load"/> restores beyond the weights.</summary>
    public sealed record State(int Step, PretrainStage? OptimizerStage, int OptimizerStep, IReadOnlyDictionary<string, Tensor> Moments);

    static Dictionary<string, Module> Modules(LlavaModel model, VisionDenseHeads heads) => new() { ["model"] = model, ["heads"] = heads };

    static Dictionary<string, string> Identity(PretrainOptions options, LlavaModel model) => new()
    {
        ["options"] = options.Describe(),
        ["config"] = HfConfig.ToJson(model.Config),
    };

    internal static void Save(string path, Pretrainer trainer, AdamW? optimizer, PretrainStage optimizerStage)
    {
        var metadata = Identity(trainer.Options, trainer.Model);
        metadata["step"] = trainer.Step.ToString(CultureInfo.InvariantCulture);
        if (optimizer != null) metadata["optimizer_stage"] = optimizerStage.ToString();
        TrainingCheckpoint.Save(path, Format, Modules(trainer.Model, trainer.Heads), optimizer, metadata);
    }

    /// <summary>Fills <paramref name="model"/> and <paramref name="heads"/> from <paramref name="path"/> and returns the rest of the state.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">Not a pretraining checkpoint, damaged, or written with other options or another model.</exception>
    public static State Load(string path, LlavaModel model, VisionDenseHeads heads, PretrainOptions options)
    {
        var contents = TrainingCheckpoint.Load(path, Format, Modules(model, heads), Identity(options, model));
        int step = int.Parse(contents.Metadata["step"], CultureInfo.InvariantCulture);
        PretrainStage? stage = contents.Metadata.TryGetValue("optimizer_stage", out var s) ? Enum.Parse<PretrainStage>(s) : null;
        return new State(step, stage, contents.OptimizerStep, contents.Moments);
    }

    /// <summary>Fills <paramref name="model"/> from a pretraining checkpoint file or a model folder. The config must
    /// match, except that a model folder's LLM may have fewer layers: it is then deepened
    /// (<see cref="LanguageModelDeepening"/>), computing exactly what it did.</summary>
    /// <exception cref="InvalidDataException">Another architecture, or not a checkpoint / model folder.</exception>
    public static void LoadModelWeights(string source, LlavaModel model)
    {
        if (Directory.Exists(source))
        {
            var other = HfCheckpoint.LoadLlava(source);
            int from = other.Config.Text.NumLayers, to = model.Config.Text.NumLayers;
            var sameElse = other.Config with { Text = other.Config.Text with { NumLayers = to } };
            if (HfConfig.ToJson(sameElse) != HfConfig.ToJson(model.Config) || (from != to && !LanguageModelDeepening.CanDeepen(from, to)))
                throw new InvalidDataException($"{source} holds another architecture than the one being trained" +
                    (from != to ? $" (its LLM has {from} layers; it can start a model of {from}..{2 * from} layers, not {to})" : ""));
            var state = from == to ? other.StateDict() : LanguageModelDeepening.Deepen(other.StateDict(), from, to);
            model.LoadStateDict(state, strict: true, source: source);
            return;
        }
        TrainingCheckpoint.Load(source, Format, new Dictionary<string, Module> { ["model"] = model },
            new Dictionary<string, string> { ["config"] = HfConfig.ToJson(model.Config) });
    }
}
