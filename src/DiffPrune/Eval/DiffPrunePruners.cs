using System.Globalization;
using DiffPrune.Pruning;

namespace DiffPrune.Eval;

/// <summary>
/// Trained DiffPrune pruners for a comparison, by the budget they were trained for. At a budget K the pruners trained
/// for K are used; without one, those trained for the nearest K re-rank at K (<see cref="TokenPruner.WithKeep"/>) and
/// their rows say so; at a kept rate (native resolution), the same holds for the rates pruners were trained at. Several
/// pruners trained for one budget (Table 5's variants, other seeds or recipes) are rows of their own: the first given is
/// DiffPrune, the reference every row is paired with; each other is named by its run folder.
/// </summary>
public sealed class DiffPrunePruners
{
    /// <summary>The budget a pruner was trained for: a rate (its K then only that of a typical image), else its K.</summary>
    readonly record struct TrainedBudget(double? Rate, int Keep)
    {
        public static TrainedBudget Of(TokenPruner pruner) =>
            pruner.Config.KeepRate is { } rate ? new(rate, 0) : new(null, pruner.Config.Keep);

        public override string ToString() => Rate is { } rate
            ? string.Create(CultureInfo.InvariantCulture, $"{(1 - rate) * 100:0.0} % pruning")
            : $"K = {Keep}";
    }

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

    /// <summary>The pruners, by the budget they were trained for (at one budget, in the order given).</summary>
    public IReadOnlyList<TokenPruner> Pruners => _pruners.Select(p => p.Pruner).ToArray();

    /// <summary>The most pruners trained for one budget: the DiffPrune rows a budget's block can have.</summary>
    public int RowsPerBudget => _pruners.GroupBy(p => TrainedBudget.Of(p.Pruner)).Max(g => g.Count());

    /// <summary>
    /// Loads the pruners in <paramref name="folders"/>. Each folder is a pruner folder (pruner.json +
    /// pruner.safetensors), a train run folder holding one under pruner/, or a folder whose subfolders are either.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">A folder that does not exist.</exception>
    /// <exception cref="FileNotFoundException">A folder without any pruner.</exception>
    /// <exception cref="ArgumentException">No folders, or two pruners for one K whose run folders share a name.</exception>
    /// <exception cref="InvalidDataException">An unreadable pruner (named).</exception>
    /// <param name="folders">The folders.</param>
    /// <param name="deployedDenoiser">Also load each pruner with its training denoiser kept after the gather, a row of its own
    /// after the pruner's ("DiffPrune + denoiser"); such a folder must hold the denoiser.</param>
    public static DiffPrunePruners Load(IReadOnlyList<string> folders, bool deployedDenoiser = false)
    {
        if (folders.Count == 0) throw new ArgumentException("no pruner folders given");
        return Of(folders.SelectMany(Find).Distinct()
            .SelectMany(dir => deployedDenoiser ? [(TokenPruner.Load(dir), dir), (TokenPruner.Load(dir, withDenoiser: true), dir)] : new[] { (TokenPruner.Load(dir), dir) })
            .ToArray());
    }

    /// <summary>Pruners already in memory, each with the folder it is named by in reports.</summary>
    /// <exception cref="ArgumentException">No pruners, pruners of different widths, or two for one K whose run folders share a name.</exception>
    public static DiffPrunePruners Of(IReadOnlyList<(TokenPruner Pruner, string Folder)> pruners)
    {
        if (pruners.Count == 0) throw new ArgumentException("no pruners given");
        if (pruners.Select(p => p.Pruner.Config.VisionWidth).Distinct().Count() > 1)
            throw new ArgumentException($"the pruners score features of different widths ({string.Join(", ", pruners.Select(p => $"{p.Folder}: {p.Pruner.Config.VisionWidth}"))}): give pruners of one model");
        var sameName = pruners.GroupBy(p => (TrainedBudget.Of(p.Pruner), RunName(p.Folder), p.Pruner.Name)).FirstOrDefault(g => g.Count() > 1);
        if (sameName != null)
            throw new ArgumentException($"two pruners trained for {sameName.Key.Item1} from run folders named '{sameName.Key.Item2}': {string.Join(" and ", sameName.Select(p => p.Folder))}; give each its own run folder name, which labels its row");
        // a stable sort: at one budget, the order given
        return new DiffPrunePruners(pruners.OrderBy(p => p.Pruner.Config.KeepRate ?? 0).ThenBy(p => p.Pruner.Config.Keep).ToArray());
    }

    /// <summary>The name a pruner's row carries beside DiffPrune's: its train run folder's ("runs/gumbel/pruner": gumbel), else its own.</summary>
    static string RunName(string folder)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        var name = Path.GetFileName(full);
        return name == "pruner" ? Path.GetFileName(Path.GetDirectoryName(full)) ?? name : name;
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

    /// <summary>
    /// The pruners for budget <paramref name="keep"/> and their labels, DiffPrune's first: those trained for K, else those
    /// trained for the nearest K (ties: the smaller) re-ranking at K. Given the budget's kept <paramref name="rate"/>
    /// (native resolution, K a typical image's), pruners trained at a rate are matched by rate in the same way.
    /// </summary>
    public IReadOnlyList<(TokenPruner Pruner, string Label)> At(int keep, double? rate = null)
    {
        var trained = NearestTrained(keep, rate);
        bool exact = trained.Rate is { } trainedRate ? Math.Abs(trainedRate - rate!.Value) < 1e-9 : trained.Keep == keep;
        return _pruners.Where(p => trained.Rate != null ? TrainedBudget.Of(p.Pruner) == trained : p.Pruner.Config.Keep == trained.Keep).Select((p, i) =>
        {
            var notes = new List<string>();
            if (i > 0) notes.Add(RunName(p.Folder));
            if (!exact) notes.Add($"trained {(trained.Rate != null ? "at " : "")}{trained}");
            var label = notes.Count == 0 ? p.Pruner.Name : $"{p.Pruner.Name} ({string.Join(", ", notes)})";
            return (p.Pruner.WithKeep(keep), label);
        }).ToArray();
    }

    /// <summary>The trained budget nearest the asked one (ties: the smaller): by rate when one is asked and any pruner was
    /// trained at a rate, else by K.</summary>
    TrainedBudget NearestTrained(int keep, double? rate)
    {
        double[] rates = rate is { } r
            ? _pruners.Select(p => p.Pruner.Config.KeepRate).OfType<double>().OrderBy(x => Math.Abs(x - r)).ThenBy(x => x).ToArray()
            : [];
        if (rates.Length > 0) return new(rates[0], 0);
        return new(null, _pruners.Select(p => p.Pruner.Config.Keep).OrderBy(k => Math.Abs(k - keep)).ThenBy(k => k).First());
    }
}
