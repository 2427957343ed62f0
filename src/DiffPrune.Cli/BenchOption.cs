using System.CommandLine;
using DiffPrune.Data.Scenes;
using DiffPrune.Tensors.IO;

namespace DiffPrune.Cli;

/// <summary>
/// The <c>--bench classic|dense</c> option of every command that makes or reads SceneBench scenes, and the record of a
/// model folder's configuration: pretrain writes it into model.safetensors' metadata (<see cref="MetadataKey"/>); a
/// folder without it (the shipped classic model, older runs) holds a model pretrained on classic scenes. A command that runs a
/// model on the other configuration than it was pretrained on warns in one line and goes on: calibrating the dense
/// scenes with the shipped model and fine-tuning it on them are both meant.
/// </summary>
internal static class BenchOption
{
    /// <summary>The safetensors metadata key that holds a model's SceneBench configuration.</summary>
    public const string MetadataKey = "scene_bench";

    /// <summary>A new <c>--bench</c> option whose description ends with <paramref name="defaultText"/> (it states the default: none is set here).</summary>
    public static Option<string?> Create(string defaultText) => new("--bench")
    {
        Description = "SceneBench configuration: classic (1-5 objects, plain backgrounds) or dense (6-9 objects, two-glyph labels, unmentioned clutter: the token budget binds)" + defaultText,
    };

    /// <summary>A new <c>--bench</c> option for commands without a base VLM to take it from (default <see cref="ShippedModel.DefaultBench"/>,
    /// which the help shows).</summary>
    public static Option<string?> Create()
    {
        var option = Create("");
        option.DefaultValueFactory = _ => ShippedModel.DefaultBench.Name();
        return option;
    }

    /// <summary>The configuration <paramref name="option"/> names.</summary>
    /// <exception cref="ArgumentException">Another value (one line: the option, the value, the choices).</exception>
    public static SceneBenchConfiguration Parse(ParseResult r, Option<string?> option)
    {
        string value = r.GetValue(option) ?? "";
        return SceneBenchConfigurations.TryParse(value, out var configuration) ? configuration
            : throw new ArgumentException($"--bench '{value}' is not a SceneBench configuration: use {string.Join(" or ", SceneBenchConfigurations.All.Select(c => c.Name()))}");
    }

    /// <summary>The configuration the model in <paramref name="modelDir"/> was pretrained on (classic when unrecorded).</summary>
    /// <exception cref="InvalidDataException">A recorded name that is not a configuration.</exception>
    public static SceneBenchConfiguration OfModel(DirectoryInfo modelDir)
    {
        var weights = Path.Combine(modelDir.FullName, "model.safetensors");
        if (!File.Exists(weights)) return SceneBenchConfiguration.Classic;
        if (!SafeTensors.ReadMetadata(weights).TryGetValue(MetadataKey, out var name)) return SceneBenchConfiguration.Classic;
        return SceneBenchConfigurations.TryParse(name, out var configuration) ? configuration
            : throw new InvalidDataException($"{weights}: metadata {MetadataKey} = '{name}' is not a SceneBench configuration (classic or dense)");
    }

    /// <summary>Warns on stderr, in one line, when <paramref name="bench"/> is not the configuration the model was pretrained on.</summary>
    public static void WarnOnMismatch(DirectoryInfo modelDir, SceneBenchConfiguration bench)
    {
        var trained = OfModel(modelDir);
        if (trained != bench)
            Console.Error.WriteLine($"warning: {ShippedModel.NameOf(modelDir)} was pretrained on {trained.Name()} SceneBench scenes; --bench {bench.Name()} runs it on {bench.Name()} ones");
    }
}
