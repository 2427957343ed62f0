using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;

namespace DiffPrune.Tests.Hostile;

/// <summary>What one structural JSON mutation does.</summary>
public enum JsonMutationKind
{
    /// <summary>Replace a value by an edge case (number, string, null, array, object).</summary>
    Replace,
    /// <summary>Remove a property or element.</summary>
    Remove,
    /// <summary>Add a property nobody knows (a typo of a real one).</summary>
    AddUnknown,
}

/// <summary>
/// A mutation of a JSON document that keeps it well-formed, so that it reaches the loader's checks rather than the
/// parser's: node <see cref="Target"/> (modulo the node count, depth-first) gets <see cref="Kind"/> with edge case <see cref="Value"/>.
/// </summary>
public readonly record struct JsonMutation(JsonMutationKind Kind, int Target, int Value)
{
    static readonly Func<JsonNode?>[] EdgeCases =
    [
        () => 0, () => -1, () => 1, () => 1_000_000, () => int.MaxValue, () => int.MinValue, () => 4294967296L, () => 9.2e18, () => 1e308,
        () => -1e-30, () => 0.5, () => JsonValue.Create(double.MaxValue), () => "x", () => "", () => "NaN", () => null, () => new JsonArray(),
        () => new JsonObject(), () => true, () => new JsonArray(1, 2), () => new JsonArray(-1, 5), () => new JsonArray(0, 4294967296L), () => 1e-9,
        () => 65536, () => 3,
    ];

    /// <summary>One to three structural mutations.</summary>
    public static Gen<JsonMutation[]> Several { get; } =
        Gen.Choose(1, 3).SelectMany(n => Gen.ArrayOf(
            from kind in Gen.Frequency((6, Gen.Constant(JsonMutationKind.Replace)), (2, Gen.Constant(JsonMutationKind.Remove)), (1, Gen.Constant(JsonMutationKind.AddUnknown)))
            from target in Gen.Choose(0, 10_000)
            from value in Gen.Choose(0, EdgeCases.Length - 1)
            select new JsonMutation(kind, target, value), n));

    /// <summary>The mutated document's text (the input is not changed).</summary>
    public static string Apply(string json, IEnumerable<JsonMutation> mutations)
    {
        var root = JsonNode.Parse(json)!;
        foreach (var m in mutations) m.ApplyTo(root);
        return root.ToJsonString();
    }

    void ApplyTo(JsonNode root)
    {
        var nodes = new List<(JsonNode Parent, string? Key, int Index)>();
        Collect(root, nodes);
        if (nodes.Count == 0) return;
        var (parent, key, index) = nodes[Target % nodes.Count];
        switch (Kind)
        {
            case JsonMutationKind.Replace:
                if (key != null) parent[key] = EdgeCases[Value]();
                else parent.AsArray()[index] = EdgeCases[Value]();
                break;
            case JsonMutationKind.Remove:
                if (key != null) parent.AsObject().Remove(key);
                else parent.AsArray().RemoveAt(index);
                break;
            case JsonMutationKind.AddUnknown:
                if (parent is JsonObject o) o[(key ?? "key") + "_x"] = EdgeCases[Value]();
                break;
        }
    }

    static void Collect(JsonNode node, List<(JsonNode, string?, int)> into)
    {
        if (node is JsonObject o)
            foreach (var (k, v) in o.ToList())
            {
                into.Add((o, k, -1));
                if (v != null) Collect(v, into);
            }
        else if (node is JsonArray a)
            for (int i = 0; i < a.Count; i++)
            {
                into.Add((a, null, i));
                if (a[i] is JsonNode child) Collect(child, into);
            }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Kind}#{Target}={Value}";
}
