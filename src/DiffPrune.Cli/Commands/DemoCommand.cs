using DiffPrune.Tensors.IO;
using System.CommandLine;
using DiffPrune.Eval;
using DiffPrune.Eval.Demo;
using DiffPrune.Models.Loaders;

namespace DiffPrune.Cli.Commands;

/// <summary>
/// <c>diffprune demo</c>: on the shipped base VLM (or <c>--model</c>), trains DiffPrune and its ablations, evaluates it
/// against Vanilla, Random and every baseline at three budgets, profiles time to first token and writes the report.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var d = new DemoOptions();
        var model = ShippedModel.Option();
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for report.md, report.json, the figures and the training runs", DefaultValueFactory = _ => new DirectoryInfo("runs/demo") };
        var quick = new Option<bool>("--quick") { Description = "A reduced run (a few steps and scenes, ≈ 1 minute): every table and figure made, its numbers meaningless" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the pruners' weights, data and noise, and of Random", DefaultValueFactory = _ => 0UL };
        var budgets = new Option<string>("--budgets") { Description = "Kept fractions of N, comma-separated", DefaultValueFactory = _ => "1/3,2/9,1/9" };
        var steps = new Option<int?>("--steps") { Description = $"Steps of each pruner training run (default {d.TrainSteps}; --quick {DemoOptions.QuickRun.TrainSteps})" };
        var scenes = new Option<int?>("--test-scenes") { Description = $"Test scenes every method is scored on (default {d.TestScenes}; --quick {DemoOptions.QuickRun.TestScenes})" };
        var perBudget = new Option<bool>("--scorer-per-budget") { Description = "Train one scorer per budget instead of one at the tightest budget re-ranking at the others" };
        var cmd = new Command("demo", "Train DiffPrune on the base VLM, compare it with every baseline at three budgets (Table 1), run the ablations (Table 5) and the profile (Table 4), draw Figure 5, write the report.")
        {
            model, output, quick, seed, budgets, steps, scenes, perBudget,
        };
        cmd.SetAction(r =>
        {
            var options = (r.GetValue(quick) ? DemoOptions.QuickRun : d) with { Seed = r.GetValue(seed), Budgets = BudgetFractions.Parse(r.GetValue(budgets)!), ScorerPerBudget = r.GetValue(perBudget) };
            if (r.GetValue(steps) is int s) options = options with { TrainSteps = s >= 1 ? s : throw new ArgumentException($"--steps must be at least 1 (got {s})") };
            if (r.GetValue(scenes) is int t) options = options with { TestScenes = t >= 1 ? t : throw new ArgumentException($"--test-scenes must be at least 1 (got {t})") };
            return Run(r.GetValue(model)!, r.GetValue(output)!, options);
        });
        return cmd;
    }

    static int Run(DirectoryInfo modelDir, DirectoryInfo outDir, DemoOptions options)
    {
        options.Validate();
        CommandLimits.Scenes(options.TestScenes, "--test-scenes");
        using var folder = RunFolderLock.Acquire(outDir.FullName);
        var (vlm, tokenizer) = ModelFolder.Load(modelDir.FullName);
        string name = ShippedModel.NameOf(modelDir);
        var demo = new DemoPipeline(vlm, tokenizer, name, options, outDir.FullName);
        Console.Error.WriteLine($"demo: {name}, N = {demo.VisualTokens}, budgets K = {string.Join(", ", options.Budgets.Select(b => BudgetFractions.Keep(b, demo.VisualTokens)))}, " +
            $"{options.TrainSteps} training steps per run, {options.TestScenes} test scenes{(options.Quick ? " (quick)" : "")}; writing to {outDir.FullName}");
        foreach (var phase in demo.Phases())
        {
            Console.Error.WriteLine($"[{phase.Name}]");
            int every = Math.Max(1, phase.Total / 10);
            TrainingProgress.Run(phase.Name, phase.Total, phase.Position(), phase.Done, () =>
            {
                var line = phase.Step();
                int at = phase.Position();
                return new TrainingProgress.Update(at, line, at % every == 0 || phase.Done());
            });
        }
        var report = demo.WriteReport();
        Console.Error.WriteLine($"demo: done in {demo.Seconds.Values.Sum() / 60:F1} min");
        Console.WriteLine(report);
        return 0;
    }
}
