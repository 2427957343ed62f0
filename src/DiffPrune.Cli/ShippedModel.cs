using System.CommandLine;

namespace DiffPrune.Cli;

/// <summary>The base VLM that ships with the tool (models/scenebench-vlm, copied beside the executable at build time).</summary>
internal static class ShippedModel
{
    /// <summary>Its folder beside the executable.</summary>
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "models", "scenebench-vlm");

    /// <summary>"SceneBench VLM (shipped)" for the shipped folder, else the folder's path: the model's name in reports.</summary>
    public static string NameOf(DirectoryInfo dir) =>
        dir.FullName.TrimEnd('/') == new DirectoryInfo(Folder).FullName.TrimEnd('/') ? "SceneBench VLM (shipped)" : dir.FullName;

    /// <summary>The <c>--model</c> option of every command that loads a base VLM, defaulting to the shipped one.</summary>
    public static Option<DirectoryInfo> Option() => new("--model")
    {
        Description = "Base VLM folder (config.json, model.safetensors, tokenizer.txt), e.g. pretrain's model/; default: the shipped SceneBench VLM",
        DefaultValueFactory = _ => new DirectoryInfo(Folder),
    };
}
