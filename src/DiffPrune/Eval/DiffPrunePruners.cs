using DiffPrune.Pruning;

namespace DiffPrune.Eval;

/// <summary>
/// Trained DiffPrune pruners for a comparison, one per budget they were trained for. At a budget K the pruner trained
/// for K is used; without one, the pruner trained for the nearest K re-ranks at K (<see cref="TokenPruner.WithKeep"/>)
/// and its row says so.
/// </summary>
public sealed class DiffPrunePruners
{
    const string ConfigFile = "pruner.json";
    readonly (TokenPruner Pruner, string Folder)[] _pruners;

    DiffPrunePruners((TokenPruner, string)[] pruners) => _pruners = pruners;

    /// <summary>d_v of the features they score.</summary>
    public int VisionWidth => _pruners[0].Pruner.Config.VisionWidth;

    /// <summary>Throws unless the pruners score features of width <paramref name="visionWidth"/>.</summary>
    /// <exception cref="ArgumentException">Another width (names both and the fix).</exception>
    public void CheckFits(int visionWidth, string model)
    {
        if (VisionWidth != visionWidth)
            throw new ArgumentException($"the pruner {_pruners[0].Folder} scores features of width {VisionWidth} but {model} has d_v = {visionWidth}: train a pruner on this model (diffprune train --model {model})");
    }

    /// <summary>The pruners, by the budget they were trained for.</summary>
    public IReadOnlyList<TokenPruner> Pruners => _pruners.Select(p => p.Pruner).ToArray();

    /// <summary>
    /// Loads the pruners in <paramref name="folders"/>. Each folder is a pruner folder (pruner.json +
    /// pruner.safetensors), a train run folder holding one under pruner/, or a folder whose subfolders are either.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">A folder that does not exist.</exception>
    /// <exception cref="FileNotFoundException">A folder without any pruner.</exception>
    /// <exception cref="ArgumentException">No folders, or two pruners trained for the same K.</exception>
    /// <exception cref="InvalidDataException">An unreadable pruner (named).</exception>
    public static DiffPrunePruners Load(IReadOnlyList<string> folders)
    {
        if (folders.Count == 0) throw new ArgumentException("no pruner folders given");
        return Of(folders.SelectMany(Find).Distinct().Select(dir => (TokenPruner.Load(dir), dir)).ToArray());
    }

    /// <summary>Pruners already in memory, each with the folder it is named by in reports.</summary>
    /// <exception cref="ArgumentException">No pruners, pruners of different widths, or two trained for the same K.</exception>
    public static DiffPrunePruners Of(IReadOnlyList<(TokenPruner Pruner, string Folder)> pruners)
    {
        if (pruners.Count == 0) throw new ArgumentException("no pruners given");
        var loaded = pruners.Select(p => (p.Pruner, dir: p.Folder)).ToArray();
        if (loaded.Select(p => p.Item1.Config.VisionWidth).Distinct().Count() > 1)
            throw new ArgumentException($"the pruners score features of different widths ({string.Join(", ", loaded.Select(p => $"{p.dir}: {p.Item1.Config.VisionWidth}"))}): give pruners of one model");
        var twice = loaded.GroupBy(p => p.Item1.Config.Keep).FirstOrDefault(g => g.Count() > 1);
        if (twice != null)
            throw new ArgumentException($"two pruners trained for K = {twice.Key}: {string.Join(" and ", twice.Select(p => p.dir))}; give one pruner per budget");
        return new DiffPrunePruners(loaded.OrderBy(p => p.Item1.Config.Keep).ToArray());
    }

    static IEnumerable<string> Find(string folder)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"pruner folder {folder} does not exist: give the pruner/ folder diffprune train writes (pruner.json + pruner.safetensors)");
        var found = PrunerIn(folder) is { } own ? [own]
            : Directory.GetDirectories(folder).Order(StringComparer.Ordinal).Select(PrunerIn).OfType<string>().ToArray();
        if (found.Length == 0)
            throw new FileNotFoundException($"{folder} holds no {ConfigFile}: give the pruner/ folder diffprune train writes, a train run folder, or a folder of those");
        return found.Select(Path.GetFullPath);
    }

    static string? PrunerIn(string folder) =>
        File.Exists(Path.Combine(folder, ConfigFile)) ? folder
        : File.Exists(Path.Combine(folder, "pruner", ConfigFile)) ? Path.Combine(folder, "pruner")
        : null;

    /// <summary>The pruner for budget <paramref name="keep"/> and its label: the one trained for K, else the nearest (ties: the smaller K) re-ranking at K.</summary>
    public (TokenPruner Pruner, string Label) At(int keep)
    {
        var nearest = _pruners.Select(p => p.Pruner).OrderBy(p => Math.Abs(p.Config.Keep - keep)).ThenBy(p => p.Config.Keep).First();
        return nearest.Config.Keep == keep ? (nearest, nearest.Name) : (nearest.WithKeep(keep), $"{nearest.Name} (trained K = {nearest.Config.Keep})");
    }
}
