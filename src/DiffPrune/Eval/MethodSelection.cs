using DiffPrune.Pruning.Baselines;

namespace DiffPrune.Eval;

/// <summary>
/// The methods a table or profile compares: names of <see cref="PruningMethods"/> (Vanilla, the reference, is always
/// there and always first) and trained DiffPrune pruners, which come last as in the paper's tables.
/// </summary>
public sealed class MethodSelection
{
    /// <summary>The name that stands for the trained pruners in a method list.</summary>
    public const string DiffPruneName = "DiffPrune";

    MethodSelection(IReadOnlyList<string> names, DiffPrunePruners? pruners)
    {
        Names = names;
        Pruners = pruners;
    }

    /// <summary>Registry names compared with Vanilla, in registry order (Vanilla itself excluded).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The trained DiffPrune pruners, compared whenever given; or null.</summary>
    public DiffPrunePruners? Pruners { get; }

    /// <summary>Every registered method, plus <paramref name="pruners"/> when given.</summary>
    public static MethodSelection All(DiffPrunePruners? pruners = null) => new(PruningMethods.Names.Skip(1).ToArray(), pruners);

    /// <summary>
    /// The methods named in <paramref name="list"/> (comma-separated, any case; null, empty or "all": every registered
    /// method), with <paramref name="pruners"/> as DiffPrune whenever given. "DiffPrune" in the list asks for them.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name (the message lists the known ones), or DiffPrune without pruners.</exception>
    public static MethodSelection Parse(string? list, DiffPrunePruners? pruners)
    {
        var items = (list ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (items.Length == 0 || items.Any(i => i.Equals("all", StringComparison.OrdinalIgnoreCase))) return All(pruners);
        bool diffPrune = items.Any(i => i.Equals(DiffPruneName, StringComparison.OrdinalIgnoreCase));
        if (diffPrune && pruners == null)
            throw new ArgumentException($"{DiffPruneName} is a trained pruner: give its folder (diffprune train writes pruner/) as --pruner DIR");
        var names = items.Where(i => !i.Equals(DiffPruneName, StringComparison.OrdinalIgnoreCase)).Select(Canonical).ToHashSet();
        return new(PruningMethods.Names.Skip(1).Where(names.Contains).ToArray(), pruners);
    }

    /// <summary>The registry's spelling of <paramref name="name"/> (any case).</summary>
    /// <exception cref="ArgumentException">An unknown name (the message lists the known ones).</exception>
    public static string Canonical(string name) =>
        PruningMethods.Names.FirstOrDefault(n => n.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown method '{name}'; known: {string.Join(", ", PruningMethods.Names.Append(DiffPruneName))}");

    /// <summary>The unpruned reference.</summary>
    public static ComparedMethod Vanilla { get; } = new("Vanilla", vlm => PruningMethods.Create("Vanilla", vlm, vlm.Config.Vision.NumPatches));

    /// <summary>The compared methods at budget K = <paramref name="keep"/> (Vanilla excluded; DiffPrune when pruners are given); <paramref name="seed"/> seeds Random.</summary>
    public IReadOnlyList<ComparedMethod> At(int keep, ulong seed = 0)
    {
        var rows = Names.Select(name => new ComparedMethod(name, vlm => PruningMethods.Create(name, vlm, keep, seed))).ToList();
        if (Pruners != null)
        {
            var (pruner, label) = Pruners.At(keep);
            rows.Add(new ComparedMethod(label, _ => pruner));
        }
        return rows;
    }
}
