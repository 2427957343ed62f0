using DiffPrune.Data.Scenes;

namespace DiffPrune.Eval.Calibration;

/// <summary>What K patches of a configuration's scenes can hold for a perfect reader (<see cref="PatchFacts"/>).</summary>
/// <param name="Keep">K.</param>
/// <param name="Random">K patches drawn uniformly from all N (exact expectation).</param>
/// <param name="ObjectRandom">K patches drawn uniformly from the object patches (exact expectation).</param>
/// <param name="Oracle">The best K patches.</param>
/// <param name="ScenesHoldable">Fraction of scenes whose facts all fit in K patches.</param>
public sealed record OracleBudget(int Keep, FactShare Random, FactShare ObjectRandom, FactShare Oracle, double ScenesHoldable);

/// <summary>A configuration's scenes in numbers, and what K patches of them hold (model-free).</summary>
/// <param name="Configuration">"classic" or "dense".</param>
/// <param name="Scenes">Scenes analysed (the first of the test split).</param>
/// <param name="Patches">N.</param>
/// <param name="ObjectsPerScene">Mean objects per scene.</param>
/// <param name="ObjectPatches">Mean patches labelled with an object.</param>
/// <param name="GlyphPatches">Mean glyph patches.</param>
/// <param name="ClutterPatches">Mean clutter patches.</param>
/// <param name="PlainPatches">Mean patches of plain background (neither object nor clutter).</param>
/// <param name="PatchesForAllFacts">Mean of the fewest patches that hold every fact.</param>
/// <param name="Budgets">One row per K.</param>
public sealed record OracleSummary(string Configuration, int Scenes, int Patches, double ObjectsPerScene, double ObjectPatches, double GlyphPatches,
    double ClutterPatches, double PlainPatches, double PatchesForAllFacts, IReadOnlyList<OracleBudget> Budgets);

/// <summary>The oracle analysis of a SceneBench configuration: no model, only the generator's labels.</summary>
public static class OracleAnalysis
{
    /// <summary>Analyses <paramref name="scenes"/> (all of one configuration) at each K of <paramref name="budgets"/>.</summary>
    /// <exception cref="ArgumentException">No scenes, or a K outside 1..N.</exception>
    public static OracleSummary Run(IReadOnlyList<Scene> scenes, IReadOnlyList<int> budgets)
    {
        ArgumentNullException.ThrowIfNull(scenes);
        if (scenes.Count == 0) throw new ArgumentException("the oracle analysis needs at least one scene", nameof(scenes));
        var facts = scenes.Select(s => new PatchFacts(s)).ToArray();
        int n = facts[0].Patches;
        foreach (int k in budgets) Pruning.TokenBudget.Check(k, n, nameof(budgets));
        var rows = budgets.Select(k => new OracleBudget(k,
            FactShare.Mean(facts, facts.Select(f => f.ExpectedRandom(k, objectPatchesOnly: false)).ToArray()),
            FactShare.Mean(facts, facts.Select(f => f.ExpectedRandom(k, objectPatchesOnly: true)).ToArray()),
            FactShare.Mean(facts, facts.Select(f => Held(f, f.Oracle(k))).ToArray()),
            facts.Average(f => f.PatchesForAllFacts <= k ? 1.0 : 0.0))).ToArray();
        return new OracleSummary(scenes[0].Options.Configuration.Name(), scenes.Count, n,
            facts.Average(f => f.Objects), facts.Average(f => f.ObjectPatchCount), facts.Average(f => f.Glyphs),
            facts.Average(f => f.ClutterPatchCount), facts.Average(f => f.Patches - f.ObjectPatchCount - f.ClutterPatchCount),
            facts.Average(f => f.PatchesForAllFacts), rows);
    }

    static (double, double) Held(PatchFacts facts, IEnumerable<int> kept)
    {
        var (objects, glyphs) = facts.Held(kept);
        return (objects, glyphs);
    }
}
