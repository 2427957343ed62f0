namespace DiffPrune.Data.Scenes;

/// <summary>
/// The image geometry of a SceneBench, independent of its <see cref="SceneBenchConfiguration"/> (what is drawn): the
/// LLaVA-1.5-style square scenes, scenes of their own width and height for a native-resolution (Qwen2.5-VL-style) model,
/// or large square scenes for an AnyRes (LLaVA-NeXT-style) model. Named by what the scenes are, not by a model family,
/// since any model may read any of them.
/// </summary>
public enum SceneResolution
{
    /// <summary>Square scenes of the configuration's side (96 px: N = 144; 72 px: N = 81), as they have always been.</summary>
    Standard,
    /// <summary>Each scene its own width and height from <see cref="SceneOptions.VariableSides"/> (72–144 px: N = 81–324).</summary>
    Variable,
    /// <summary>192×192 scenes (N = 576 patches of 8 px; four 96 px AnyRes tiles and a downscaled base view).</summary>
    High,
}

/// <summary>Names and parsing of <see cref="SceneResolution"/>.</summary>
public static class SceneResolutions
{
    /// <summary>Every resolution, in enum order.</summary>
    public static IReadOnlyList<SceneResolution> All { get; } = Enum.GetValues<SceneResolution>();

    /// <summary>"standard", "variable" or "high": the name on the command line and in reports.</summary>
    public static string Name(this SceneResolution resolution) => resolution switch
    {
        SceneResolution.Standard => "standard",
        SceneResolution.Variable => "variable",
        SceneResolution.High => "high",
        _ => throw new ArgumentOutOfRangeException(nameof(resolution), $"unknown SceneBench resolution {resolution}"),
    };

    /// <summary>Whether <paramref name="name"/> names a resolution (case-insensitive), and which.</summary>
    public static bool TryParse(string? name, out SceneResolution resolution)
    {
        foreach (var r in All)
            if (string.Equals(r.Name(), name?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                resolution = r;
                return true;
            }
        resolution = SceneResolution.Standard;
        return false;
    }

    /// <summary>The resolution named <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">Any other name (one line naming the choices).</exception>
    public static SceneResolution Parse(string name) => TryParse(name, out var resolution) ? resolution
        : throw new ArgumentException($"unknown SceneBench resolution '{name}': use {string.Join(", ", All.Select(r => r.Name()))}");
}
