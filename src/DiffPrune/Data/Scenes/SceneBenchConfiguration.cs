namespace DiffPrune.Data.Scenes;

/// <summary>
/// Which SceneBench a command generates: the classic scenes (1–5 objects, single digits, plain backgrounds: a few
/// tokens hold everything) or the dense ones, where the token budget binds as it does on real photos (6–9 objects,
/// two-glyph labels, busy clutter that no text mentions). Both keep the image and patch geometry, so one base VLM's
/// shapes fit both.
/// </summary>
public enum SceneBenchConfiguration
{
    /// <summary>The original scenes (<see cref="SceneOptions.Default"/>).</summary>
    Classic,
    /// <summary>Scenes where K = N/9 tokens cannot hold everything (<see cref="SceneOptions.Dense"/>).</summary>
    Dense,
}

/// <summary>Names and parsing of <see cref="SceneBenchConfiguration"/>.</summary>
public static class SceneBenchConfigurations
{
    /// <summary>Every configuration, in enum order.</summary>
    public static IReadOnlyList<SceneBenchConfiguration> All { get; } = Enum.GetValues<SceneBenchConfiguration>();

    /// <summary>"classic" or "dense": the name on the command line, in reports and in model folders.</summary>
    public static string Name(this SceneBenchConfiguration configuration) => configuration switch
    {
        SceneBenchConfiguration.Classic => "classic",
        SceneBenchConfiguration.Dense => "dense",
        _ => throw new ArgumentOutOfRangeException(nameof(configuration), $"unknown SceneBench configuration {configuration}"),
    };

    /// <summary>The configuration named <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">Any other name (one line naming the choices).</exception>
    public static SceneBenchConfiguration Parse(string name) => TryParse(name, out var configuration) ? configuration
        : throw new ArgumentException($"unknown SceneBench configuration '{name}': use {string.Join(" or ", All.Select(c => c.Name()))}");

    /// <summary>Whether <paramref name="name"/> names a configuration (case-insensitive), and which.</summary>
    public static bool TryParse(string? name, out SceneBenchConfiguration configuration)
    {
        foreach (var c in All)
            if (string.Equals(c.Name(), name?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                configuration = c;
                return true;
            }
        configuration = SceneBenchConfiguration.Classic;
        return false;
    }
}
