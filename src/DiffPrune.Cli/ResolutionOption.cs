using System.CommandLine;
using DiffPrune.Data.Scenes;

namespace DiffPrune.Cli;

/// <summary>
/// The <c>--resolution standard|variable|high</c> option: the image geometry of SceneBench scenes, beside
/// <see cref="BenchOption"/>'s configuration (what is drawn in them). Standard is the square scenes of <c>--grid</c>;
/// variable gives each scene its own width and height (a native-resolution, Qwen2.5-VL-style model: N varies per image);
/// high gives 192×192 scenes (an AnyRes, LLaVA-NeXT-style model: 4 tiles and a base view of 144 tokens each).
/// </summary>
internal static class ResolutionOption
{
    /// <summary>A new <c>--resolution</c> option, default standard.</summary>
    public static Option<string?> Create() => new("--resolution")
    {
        Description = "SceneBench image geometry: standard (square, --grid), variable (each scene 72-144 px wide and high, N = 81-324) or high (192x192 px, N = 576 patches; an AnyRes model reads them as 720 tokens)",
        DefaultValueFactory = _ => SceneResolution.Standard.Name(),
    };

    /// <summary>The resolution <paramref name="option"/> names.</summary>
    /// <exception cref="ArgumentException">Another value (one line: the option, the value, the choices).</exception>
    public static SceneResolution Parse(ParseResult r, Option<string?> option)
    {
        string value = r.GetValue(option) ?? "";
        return SceneResolutions.TryParse(value, out var resolution) ? resolution
            : throw new ArgumentException($"--resolution '{value}' is not a SceneBench resolution: use {string.Join(", ", SceneResolutions.All.Select(x => x.Name()))}");
    }
}
