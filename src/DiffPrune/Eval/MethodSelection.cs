using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Pruning.Baselines;

namespace DiffPrune.Eval;

/// <summary>
/// The methods a table or profile compares: names of <see cref="PruningMethods"/> (Vanilla, the reference, is always
/// there and always first) and trained DiffPrune pruners, which come last as in the paper's tables. In
/// <see cref="BudgetMode.Threshold"/> each pruner's top-K row is followed by its threshold row at the same mean K.
/// </summary>
public sealed class MethodSelection
{
    /// <summary>The name that stands for the trained pruners in a method list.</summary>
    public const string DiffPruneName = "DiffPrune";

    readonly bool _named;

    MethodSelection(IReadOnlyList<string> names, DiffPrunePruners? pruners, BudgetMode mode, bool named = false)
    {
        _named = named;
        if (mode == BudgetMode.Threshold && pruners == null)
            throw new ArgumentException("--budget-mode threshold needs a trained pruner: give its folder as --pruner DIR (diffprune train writes pruner/)");
        Names = names;
        Pruners = pruners;
        Mode = mode;
    }

    /// <summary>Registry names compared with Vanilla, in registry order (Vanilla itself excluded).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The trained DiffPrune pruners, compared whenever given; or null.</summary>
    public DiffPrunePruners? Pruners { get; }

    /// <summary>How the pruners budget: top-K only, or top-K and a calibrated threshold side by side.</summary>
    public BudgetMode Mode { get; }

    /// <summary>Every registered method, plus <paramref name="pruners"/> when given (in <paramref name="mode"/>).</summary>
    /// <exception cref="ArgumentException">Threshold mode without pruners.</exception>
    public static MethodSelection All(DiffPrunePruners? pruners = null, BudgetMode mode = BudgetMode.TopK) => new(PruningMethods.Names.Skip(1).ToArray(), pruners, mode);

    /// <summary>
    /// The methods named in <paramref name="list"/> (comma-separated, any case; null, empty or "all": every registered
    /// method), with <paramref name="pruners"/> as DiffPrune whenever given (in <paramref name="mode"/>). "DiffPrune" in the
    /// list asks for them.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name (the message lists the known ones), or DiffPrune or threshold mode without pruners.</exception>
    public static MethodSelection Parse(string? list, DiffPrunePruners? pruners, BudgetMode mode = BudgetMode.TopK)
    {
        var items = (list ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (items.Length == 0 || items.Any(i => i.Equals("all", StringComparison.OrdinalIgnoreCase))) return All(pruners, mode);
        bool diffPrune = items.Any(i => i.Equals(DiffPruneName, StringComparison.OrdinalIgnoreCase));
        if (diffPrune && pruners == null)
            throw new ArgumentException($"{DiffPruneName} is a trained pruner: give its folder (diffprune train writes pruner/) as --pruner DIR");
        var names = items.Where(i => !i.Equals(DiffPruneName, StringComparison.OrdinalIgnoreCase)).Select(Canonical).ToHashSet();
        return new(PruningMethods.Names.Skip(1).Where(names.Contains).ToArray(), pruners, mode, named: true);
    }

    /// <summary>
    /// This selection as <paramref name="vlm"/> can run it. Left out of "all" and named in <paramref name="leftOut"/>, with the
    /// sentence reports give in <paramref name="note"/> (null when none): on a LLaVA-NeXT model the methods that read the vision
    /// tower's attention maps (a tiled image has one per view, none for its sequence of tokens); on a native-resolution model,
    /// whose budgets are rates, the LLaVA-only methods and those that prune at several LLM layers (each stage's K is fixed).
    /// Named explicitly, they are refused.
    /// </summary>
    /// <exception cref="ArgumentException">A method named in the list that the model cannot run (one line: which, and why).</exception>
    public MethodSelection RunnableOn(IVisionLanguageModel vlm, out IReadOnlyList<string> leftOut, out string? note)
    {
        var reasons = Names.Select(n => (Name: n, Why: WhyNotOn(n, vlm))).Where(r => r.Why != null).ToArray();
        leftOut = reasons.Select(r => r.Name).ToArray();
        note = null;
        if (reasons.Length == 0) return this;
        var clauses = string.Join("; ", reasons.GroupBy(r => r.Why).Select(g => Clause(g.Select(r => r.Name).ToArray(), g.Key!)));
        if (_named) throw new ArgumentException($"this model cannot run {clauses}: leave {(reasons.Length == 1 ? "it" : "them")} out of --methods");
        note = $"Left out: {clauses}.";
        return new(Names.Except(leftOut).ToArray(), Pruners, Mode);
    }

    /// <summary>"A, which reads …" or "A, B, which read …" for <paramref name="why"/>, a plural verb and what follows it.</summary>
    static string Clause(string[] names, string why)
    {
        int space = why.IndexOf(' ');
        string verb = why[..space];
        return $"{string.Join(", ", names)}, which {(names.Length == 1 ? verb + "s" : verb)}{why[space..]}";
    }

    /// <summary>Why <paramref name="vlm"/> cannot run method <paramref name="name"/> (a plural verb and what follows it), or null when it can.</summary>
    static string? WhyNotOn(string name, IVisionLanguageModel vlm)
    {
        if (vlm is LlavaModel { Config.IsAnyRes: true })
            return PruningMethods.Create(name, vlm, 1).NeedsVisionAttentions ? "read the vision tower's attention maps (a tiled image has one per view, none for its sequence)" : null;
        if (vlm.BudgetTokens != null) return null;
        IPruningMethod method;
        try { method = PruningMethods.Create(name, vlm, 1); }
        catch (ArgumentException) { return "run on LLaVA models only (a CLIP tower's CLS attention or one token grid for every image)"; }
        return PerImageRate.RunsAtRate(method) ? null : "prune at several LLM layers with a fixed K per stage, where a rate gives every image its own K";
    }

    /// <summary>The registry's spelling of <paramref name="name"/> (any case).</summary>
    /// <exception cref="ArgumentException">An unknown name (the message lists the known ones).</exception>
    public static string Canonical(string name) =>
        PruningMethods.Names.FirstOrDefault(n => n.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown method '{name}'; known: {string.Join(", ", PruningMethods.Names.Append(DiffPruneName))}");

    /// <summary>The unpruned reference.</summary>
    public static ComparedMethod Vanilla { get; } = new("Vanilla", vlm => PruningMethods.Create("Vanilla", vlm, vlm.MaxVisualTokens));

    /// <summary>
    /// The compared methods at budget K = <paramref name="keep"/> (Vanilla excluded; DiffPrune when pruners are given, in
    /// threshold mode its top-K row and then its threshold row, calibrated by <paramref name="thresholds"/> to mean K when
    /// evaluated); <paramref name="seed"/> seeds Random.
    /// </summary>
    /// <exception cref="ArgumentException">Threshold mode without <paramref name="thresholds"/>.</exception>
    public IReadOnlyList<ComparedMethod> At(int keep, ulong seed = 0, ValidationThresholds? thresholds = null)
    {
        var rows = Names.Select(name => new ComparedMethod(name, vlm => PruningMethods.Create(name, vlm, keep, seed))).ToList();
        if (Pruners != null)
        {
            foreach (var (pruner, label) in Pruners.At(keep))
            {
                rows.Add(new ComparedMethod(label, _ => pruner));
                if (Mode == BudgetMode.Threshold)
                {
                    var calibration = thresholds ?? throw new ArgumentException("threshold mode needs validation scenes to calibrate on (ValidationThresholds)", nameof(thresholds));
                    rows.Add(new ComparedMethod(ThresholdLabel(label), _ => calibration.At(pruner, keep)));
                }
            }
        }
        return rows;
    }

    /// <summary>
    /// The compared methods at kept rate <paramref name="rate"/> (Vanilla excluded): each image keeps K_i = round(rate × N_i)
    /// of its own N_i (<see cref="PerImageRate"/>; native-resolution models, whose images give different N). Rows are
    /// labelled with K = <paramref name="keep"/> (the rate of a typical image), and DiffPrune's pruners are those trained
    /// at the nearest rate (else, trained at one K, nearest K); <paramref name="seed"/> seeds Random. Built on a model, a
    /// method that does not prune before the LLM is refused.
    /// </summary>
    /// <exception cref="ArgumentException">Threshold mode (its threshold is calibrated to one mean K for every image).</exception>
    public IReadOnlyList<ComparedMethod> AtRate(double rate, int keep, ulong seed = 0)
    {
        if (Mode == BudgetMode.Threshold)
            throw new ArgumentException("--budget-mode threshold calibrates one K for every image; at a rate (images of their own N) use --budget-mode topk");
        var rows = Names.Select(name => new ComparedMethod(name, vlm => new PerImageRate(k => PruningMethods.Create(name, vlm, k, seed), rate, keep))).ToList();
        if (Pruners != null)
            rows.AddRange(Pruners.At(keep, rate).Select(p => new ComparedMethod(p.Label, _ => new PerImageRate(p.Pruner.WithKeep, rate, keep))));
        return rows;
    }

    /// <summary>"DiffPrune (threshold)" for "DiffPrune", "DiffPrune (threshold, trained K = 16)" for "DiffPrune (trained K = 16)".</summary>
    public static string ThresholdLabel(string topKLabel) => topKLabel == DiffPruneName
        ? $"{DiffPruneName} (threshold)"
        : topKLabel.Replace($"{DiffPruneName} (", $"{DiffPruneName} (threshold, ", StringComparison.Ordinal);
}
