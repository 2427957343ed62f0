using System.CommandLine;
using DiffPrune.Data.Scenes;

namespace DiffPrune.Cli;

/// <summary>
/// The <c>--model</c> and <c>--bench</c> pair of every command that runs a base VLM on SceneBench scenes. Each decides
/// the other when given alone: <c>--bench</c> picks that configuration's shipped model, <c>--model</c> runs the
/// configuration the model was pretrained on; neither gives <see cref="ShippedModel.DefaultBench"/> and its shipped
/// model. Both given and disagreeing is allowed (calibrating or fine-tuning across configurations is meant): the command
/// warns in one line once the model has loaded (<see cref="BenchOption.WarnOnMismatch"/>).
/// </summary>
internal sealed class BaseModelChoice
{
    /// <summary>The <c>--model</c> option (no default: <see cref="Resolve"/> supplies it).</summary>
    public Option<DirectoryInfo?> Model { get; } = new("--model")
    {
        Description = "Base VLM folder (config.json, model.safetensors, tokenizer.txt), e.g. pretrain's model/; default: the shipped SceneBench VLM of --bench",
    };

    /// <summary>The <c>--bench</c> option (no default: <see cref="Resolve"/> supplies it).</summary>
    public Option<string?> Bench { get; } = BenchOption.Create(
        $"; default: the configuration --model was pretrained on, else {ShippedModel.DefaultBench.Name()}");

    /// <summary>The model folder and configuration the command runs.</summary>
    /// <exception cref="ArgumentException"><c>--bench</c> names no configuration.</exception>
    public (DirectoryInfo Model, SceneBenchConfiguration Bench) Resolve(ParseResult r)
    {
        var model = r.GetValue(Model);
        SceneBenchConfiguration? bench = r.GetValue(Bench) != null ? BenchOption.Parse(r, Bench) : null;
        if (model != null) return (model, bench ?? BenchOption.OfModel(model));
        var chosen = bench ?? ShippedModel.DefaultBench;
        return (new DirectoryInfo(ShippedModel.Folder(chosen)), chosen);
    }
}
