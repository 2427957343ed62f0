using System.CommandLine;
using DiffPrune.Pruning;

namespace DiffPrune.Cli;

/// <summary>The options that choose how a trained pruner budgets, shared by train, eval and prune: --budget-mode and --calibration-scenes.</summary>
internal sealed class BudgetModeOptions
{
    public Option<string> Mode { get; } = new("--budget-mode")
    {
        Description = "topk (every image keeps K tokens) or threshold (each image keeps the tokens whose standardised logit reaches a threshold calibrated on validation scenes to mean K)",
        DefaultValueFactory = _ => "topk",
    };

    public Option<int> CalibrationScenes { get; } = new("--calibration-scenes")
    {
        Description = "SceneBench validation scenes a threshold is calibrated on (threshold mode)",
        DefaultValueFactory = _ => 100,
    };

    /// <summary>The mode and the calibration scenes, checked.</summary>
    /// <exception cref="ArgumentException">An unknown mode or fewer than 1 calibration scene.</exception>
    public (BudgetMode Mode, int CalibrationScenes) Parse(ParseResult r)
    {
        var mode = BudgetModes.Parse(r.GetValue(Mode)!);
        int scenes = r.GetValue(CalibrationScenes);
        if (scenes < 1) throw new ArgumentException($"--calibration-scenes must be at least 1 (got {scenes})");
        return (mode, scenes);
    }
}
