using System.Text;

namespace DiffPrune.Tests.Architecture;

/// <summary>
/// The layers of DiffPrune, lowest first, each a set of namespaces. A layer may use itself and the layers before it.
/// The engine (DiffPrune.Tensors) is an assembly of its own below them all, and the CLI (DiffPrune.Cli) one above
/// them all: project references fix their places.
/// </summary>
public static class LayerGraph
{
    /// <summary>
    /// Layer names, lowest first, with the namespace each one holds and every namespace under it that is not a layer
    /// of its own: the most specific entry wins, so Data/Images (pixels and the PNG codec) lies below Reporting (whose
    /// charts are PNG files) and Reporting below the rest of Data.
    /// </summary>
    public static readonly (string Layer, string Namespace)[] Stack =
    [
        ("Tensors", "DiffPrune.Tensors"),
        ("Data/Images", "DiffPrune.Data.Images"),
        ("Reporting", "DiffPrune.Reporting"),
        ("Data", "DiffPrune.Data"),
        ("Models", "DiffPrune.Models"),
        ("Pruning", "DiffPrune.Pruning"),
        ("Pruning/Baselines", "DiffPrune.Pruning.Baselines"),
        ("Training", "DiffPrune.Training"),
        ("Eval", "DiffPrune.Eval"),
        ("Probes", "DiffPrune.Probes"),
    ];

    /// <summary>The layer holding namespace <paramref name="ns"/>, or null when none does.</summary>
    public static string? LayerOfNamespace(string ns) =>
        Stack.Where(l => ns == l.Namespace || ns.StartsWith(l.Namespace + ".", StringComparison.Ordinal))
            .OrderByDescending(l => l.Namespace.Length).Select(l => l.Layer).FirstOrDefault();

    /// <summary>The layer of <paramref name="type"/>, or null for types outside DiffPrune (the BCL, xunit).</summary>
    public static string? LayerOf(Type type) => type.Namespace is { } ns ? LayerOfNamespace(ns) : null;

    /// <summary>The position of <paramref name="type"/>'s layer in <see cref="Stack"/> (−1 outside DiffPrune).</summary>
    public static int RankOf(Type type) => Array.FindIndex(Stack, l => l.Layer == LayerOf(type));

    /// <summary>The type a compiler-generated type (closure, iterator, async state machine) was written in; else itself.</summary>
    public static Type Owner(Type type)
    {
        while (type.IsNested && type.Name.Contains('<')) type = type.DeclaringType!;
        return type;
    }

    /// <summary>
    /// One line per layer, highest first: how many types it has and, for each layer it uses, how many of its types
    /// reference one of that layer's; an upward use is marked "UP".
    /// </summary>
    public static string Describe(IEnumerable<TypeReference> references)
    {
        references = references.Select(r => new TypeReference(Owner(r.From), r.To)).ToList();
        var between = references.Where(r => LayerOf(r.From) is not null && LayerOf(r.To) is not null && LayerOf(r.From) != LayerOf(r.To)).ToList();
        var text = new StringBuilder("layer (types) -> layers it uses (number of its types that do)\n");
        foreach (var (layer, _) in Stack.Reverse())
        {
            var types = references.Select(r => r.From).Distinct().Count(t => LayerOf(t) == layer);
            var uses = between.Where(r => LayerOf(r.From) == layer).GroupBy(r => r.To.Namespace is { } ns ? LayerOfNamespace(ns)! : "")
                .OrderByDescending(g => Array.FindIndex(Stack, l => l.Layer == g.Key))
                .Select(g => $"{g.Key}{(RankOf(g.First().To) > RankOf(g.First().From) ? " UP" : "")} ({g.Select(r => r.From).Distinct().Count()})");
            text.AppendLine($"{layer,-17} ({types,3}) -> {string.Join(", ", uses)}");
        }
        return text.ToString();
    }
}
