using System.Reflection;
using DiffPrune.Pruning;
using DiffPrune.Tensors;
using Xunit.Abstractions;

namespace DiffPrune.Tests.Architecture;

/// <summary>
/// The folders of the domain assembly form a one-way stack: a type may use types of its own layer and of the layers
/// below, never of a layer above. Every reference counts: base types, interfaces, fields, properties, method
/// signatures, local variables and every type, method or field named in a method body's IL (lambdas and iterators
/// included, as they compile to nested types).
/// </summary>
public sealed class LayeringTests(ITestOutputHelper output)
{
    static readonly Assembly Domain = typeof(SoftTopK).Assembly;

    [Fact]
    public void NoLayerReferencesALayerAboveIt()
    {
        var edges = TypeReferences.Of(typeof(Tensor).Assembly).Concat(TypeReferences.Of(Domain)).ToList();
        output.WriteLine(LayerGraph.Describe(edges));
        var upward = edges.Where(e => LayerGraph.RankOf(e.From) < LayerGraph.RankOf(e.To))
            .Select(e => $"{LayerGraph.Owner(e.From).FullName} ({LayerGraph.LayerOf(e.From)}) uses {e.To.FullName} ({LayerGraph.LayerOf(e.To)})")
            .Distinct().Order().ToList();
        Assert.True(upward.Count == 0, $"{upward.Count} upward references:\n" + string.Join("\n", upward));
    }

    [Fact]
    public void EveryNamespaceOfTheDomainBelongsToALayer()
    {
        var unplaced = Domain.GetTypes().Select(t => t.Namespace ?? "").Distinct()
            .Where(ns => ns.Length > 0 && LayerGraph.LayerOfNamespace(ns) is null).Order().ToList();
        Assert.True(unplaced.Count == 0, "namespaces in no layer (add them to LayerGraph.Stack): " + string.Join(", ", unplaced));
    }

    [Fact]
    public void AnUpwardReferenceInAMethodBodyIsFound()
    {
        var found = TypeReferences.Of(typeof(UsesLayeringTestsInItsBody)).Select(e => e.To).ToList();
        Assert.Contains(typeof(LayeringTests), found);
        Assert.Contains(typeof(ITestOutputHelper), found);
    }

    static class UsesLayeringTestsInItsBody
    {
        public static object Make(ITestOutputHelper helper) => new LayeringTests(helper);
    }
}
