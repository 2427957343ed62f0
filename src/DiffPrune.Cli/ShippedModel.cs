using DiffPrune.Data.Scenes;

namespace DiffPrune.Cli;

/// <summary>
/// The base VLMs that ship with the tool, one per SceneBench configuration (models/scenebench-vlm for classic scenes,
/// models/scenebench-vlm-dense for dense ones), copied beside the executable at build time.
/// </summary>
internal static class ShippedModel
{
    /// <summary>The configuration a command runs when neither <c>--bench</c> nor <c>--model</c> says: the one where the token budget binds.</summary>
    public const SceneBenchConfiguration DefaultBench = SceneBenchConfiguration.Dense;

    /// <summary>The folder beside the executable of the model shipped for <paramref name="bench"/>.</summary>
    public static string Folder(SceneBenchConfiguration bench) =>
        Path.Combine(AppContext.BaseDirectory, "models", bench == SceneBenchConfiguration.Classic ? "scenebench-vlm" : $"scenebench-vlm-{bench.Name()}");

    /// <summary>"SceneBench VLM (shipped, dense)" and the like for a shipped folder, else the folder's path: the model's name in reports.</summary>
    public static string NameOf(DirectoryInfo dir)
    {
        string path = dir.FullName.TrimEnd('/');
        foreach (var bench in SceneBenchConfigurations.All)
            if (path == new DirectoryInfo(Folder(bench)).FullName.TrimEnd('/')) return $"SceneBench VLM (shipped, {bench.Name()})";
        return dir.FullName;
    }
}
