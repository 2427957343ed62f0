using DiffPrune.Tensors.IO;
using System.CommandLine;
using DiffPrune.Data.Scenes;
using DiffPrune.Eval;
using DiffPrune.Eval.Demo;
using DiffPrune.Models.Loaders;
using DiffPrune.Tensors.Distributed;

namespace DiffPrune.Cli.Commands;

/// <summary>
/// <c>diffprune demo</c>: on the shipped base VLM (or <c>--model</c>), trains DiffPrune and its ablations, evaluates it
/// against Vanilla, Random and every baseline at three budgets, profiles time to first token and writes the report.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var choice = new BaseModelChoice();
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for report.md, report.json, the figures and the training runs", DefaultValueFactory = _ => new DirectoryInfo("runs/demo") };
        var quick = new Option<bool>("--quick") { Description = "A reduced run (a few steps and scenes, ≈ 1 minute): every table and figure made, its numbers meaningless" };
        var budgets = new Option<string>("--budgets") { Description = "Kept fractions of N, comma-separated", DefaultValueFactory = _ => "1/3,2/9,1/9" };
        var cmd = new Command("demo", "Train DiffPrune on the base VLM, compare it with every baseline at three budgets (Table 1), run the ablations (Table 5) and the profile (Table 4), draw Figure 5, write the report.")
        {
            choice.Model, output, quick, budgets, choice.Bench,
        };
        var options = new RecordOptions<DemoOptions>(cmd, new DemoOptions(), ("--quick", DemoOptions.QuickRun))
            .Add("--seed", "Seed of the pruners' weights, data and noise, and of Random", o => o.Seed, (o, v) => o with { Seed = v })
            .Add("--steps", "Steps of each pruner training run", o => o.TrainSteps, (o, v) => o with { TrainSteps = v })
            .Add("--batch-size", "Captions per training step", o => o.BatchSize, (o, v) => o with { BatchSize = v })
            .Add("--lr", "Peak learning rate of the pruner runs", o => o.LearningRate, (o, v) => o with { LearningRate = v })
            .Add("--feature-pool", "Training scenes encoded once and shared by every run", o => o.FeaturePool, (o, v) => o with { FeaturePool = v })
            .Add("--validation-scenes", "Validation captions per validation", o => o.ValidationScenes, (o, v) => o with { ValidationScenes = v })
            .Add("--scorer-per-budget", "Train one scorer per budget instead of one at the tightest budget re-ranking at the others", o => o.ScorerPerBudget, (o, v) => o with { ScorerPerBudget = v })
            .Add("--test-scenes", "Test scenes every method is scored on", o => o.TestScenes, (o, v) => o with { TestScenes = v })
            .Add("--profile-runs", "Timed rounds of the profile (median)", o => o.ProfileRuns, (o, v) => o with { ProfileRuns = v })
            .Add("--profile-warmup", "Warm-up rounds of the profile", o => o.ProfileWarmup, (o, v) => o with { ProfileWarmup = v });
        cmd.SetAction(r =>
        {
            var (modelDir, bench) = choice.Resolve(r);
            return Run(modelDir, r.GetValue(output)!,
                options.Bind(r, r.GetValue(quick) ? DemoOptions.QuickRun : new DemoOptions()) with { Budgets = BudgetFractions.Parse(r.GetValue(budgets)!), Bench = bench });
        });
        return cmd;
    }

    static int Run(DirectoryInfo modelDir, DirectoryInfo outDir, DemoOptions options)
    {
        options.Validate();
        CommandLimits.Scenes(options.TestScenes, "--test-scenes");
        var world = Communicator.World;
        // rank 0 alone writes the run folder (the others share its work): an unusable --out stops the run now
        using var folder = world.IsRoot ? RunFolderLock.Acquire(outDir.FullName) : null;
        var (vlm, tokenizer) = ModelFolder.Load(modelDir.FullName);
        if (world.IsRoot) BenchOption.WarnOnMismatch(modelDir, options.Bench);
        string name = ShippedModel.NameOf(modelDir);
        var demo = new DemoPipeline(vlm, tokenizer, name, options, outDir.FullName, world);
        if (world.IsRoot)
            Console.Error.WriteLine($"demo: {name}, N = {demo.VisualTokens}, budgets K = {string.Join(", ", options.Budgets.Select(b => BudgetFractions.Keep(b, demo.VisualTokens)))}, " +
                $"{options.TrainSteps} training steps per run, {options.TestScenes} test scenes{(options.Quick ? " (quick)" : "")}; writing to {outDir.FullName}" +
                (world.Size > 1 ? $"; work shared by {world.Size} processes" : ""));
        foreach (var phase in demo.Phases())
        {
            if (world.IsRoot) Console.Error.WriteLine($"[{phase.Name}]");
            int every = Math.Max(1, phase.Total / 10);
            TrainingProgress.Run(phase.Name, phase.Total, phase.Position(), phase.Done, () =>
            {
                var line = phase.Step();
                int at = phase.Position();
                return new TrainingProgress.Update(at, line, at % every == 0 || phase.Done());
            });
        }
        if (!world.IsRoot) return 0;
        var report = demo.WriteReport();
        Console.Error.WriteLine($"demo: done in {demo.Seconds.Values.Sum() / 60:F1} min");
        Console.WriteLine(report);
        return 0;
    }
}
