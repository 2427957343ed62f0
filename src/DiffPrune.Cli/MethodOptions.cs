using System.CommandLine;
using DiffPrune.Eval;

namespace DiffPrune.Cli;

/// <summary>The options that choose compared methods, shared by eval and profile: --methods and --pruner.</summary>
internal sealed class MethodOptions
{
    public Option<string?> Methods { get; } = new("--methods")
    {
        Description = $"Comma-separated methods (default all): {string.Join(", ", DiffPrune.Pruning.Baselines.PruningMethods.Names.Skip(1))}, {MethodSelection.DiffPruneName}",
    };

    public Option<string[]> Pruners { get; } = new("--pruner")
    {
        Description = "A trained DiffPrune pruner folder (diffprune train's pruner/), a train run folder, or a folder of those; repeatable. Several trained for one K are rows of their own, named by their run folders and paired with the first given (Table 5's variants)",
        DefaultValueFactory = _ => [],
    };

    public Option<bool> DeployedDenoiser { get; } = new("--deployed-denoiser")
    {
        Description = "Also score each pruner with its training denoiser kept after the top-K (\"DiffPrune + denoiser\"); the paper removes it at inference",
    };

    /// <summary>The selection in budget <paramref name="mode"/>, its pruner folders loaded (checked before any model is loaded).</summary>
    public MethodSelection Parse(ParseResult r, DiffPrune.Pruning.BudgetMode mode = DiffPrune.Pruning.BudgetMode.TopK)
    {
        var folders = r.GetValue(Pruners)!;
        var pruners = folders.Length > 0 ? DiffPrunePruners.Load(folders, r.GetValue(DeployedDenoiser)) : null;
        return MethodSelection.Parse(r.GetValue(Methods), pruners, mode);
    }
}
