using DiffPrune.Training.Pretraining;
using DiffPrune.Tensors.IO;
using System.CommandLine;
using System.Globalization;
using DiffPrune.Data.Scenes;
using DiffPrune.Eval;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Pruning.Baselines;

namespace DiffPrune.Cli.Commands;

/// <summary><c>diffprune prune</c>: one question about one image, answered with and without pruning, timed, with paper Figure 5.</summary>
internal static class PruneCommand
{
    public static Command Create()
    {
        var choice = new BaseModelChoice();
        var pruner = new Option<DirectoryInfo?>("--pruner") { Description = "A trained DiffPrune pruner folder (diffprune train's pruner/) or a folder of those" };
        var method = new Option<string?>("--method") { Description = $"Or a registered method: {string.Join(", ", PruningMethods.Names)}" };
        var image = new Option<FileInfo>("--image") { Description = "PNG image (resized to the model's input)", Required = true };
        var question = new Option<string>("--question") { Description = "The question to answer", Required = true };
        var budget = new Option<string>("--budget") { Description = "Kept fraction of N", DefaultValueFactory = _ => "1/9" };
        var runs = new Option<int>("--runs") { Description = "Timed runs per part (medians)", DefaultValueFactory = _ => 10 };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for tokens.png, similarity.png, report.md and report.json", DefaultValueFactory = _ => new DirectoryInfo("runs/prune") };
        var seed = new Option<ulong>("--seed") { Description = "Seed of Random", DefaultValueFactory = _ => 0UL };
        var budgetMode = new BudgetModeOptions();
        var cmd = new Command("prune", "Answer a question about a PNG image with and without pruning; time both; draw kept and dropped tokens and the top-K/bottom-K similarity matrix (paper Figure 5).")
        {
            choice.Model, pruner, method, budgetMode.Mode, budgetMode.CalibrationScenes, image, question, budget, runs, output, seed, choice.Bench,
        };
        cmd.SetAction(r =>
        {
            var (modelDir, bench) = choice.Resolve(r);
            return Run(modelDir, r.GetValue(pruner), r.GetValue(method), budgetMode.Parse(r), r.GetValue(image)!, r.GetValue(question)!,
                BudgetFractions.ParseOne(r.GetValue(budget)!), r.GetValue(runs), r.GetValue(output)!, r.GetValue(seed), bench);
        });
        return cmd;
    }

    static int Run(DirectoryInfo modelDir, DirectoryInfo? prunerDir, string? methodName, (BudgetMode Mode, int CalibrationScenes) budget, FileInfo imageFile,
        string question, double fraction, int runs, DirectoryInfo outDir, ulong seed, SceneBenchConfiguration bench)
    {
        if ((prunerDir == null) == (methodName == null))
            throw new ArgumentException("give one of --pruner DIR (a trained DiffPrune pruner) or --method NAME (a registered method)");
        if (budget.Mode == BudgetMode.Threshold && prunerDir == null)
            throw new ArgumentException("--budget-mode threshold needs a trained pruner: give --pruner DIR instead of --method (registered methods keep exactly K)");
        if (runs < 1) throw new ArgumentException($"--runs must be at least 1 (got {runs})");
        var image = PruneComparison.ReadImage(imageFile.FullName);
        var pruners = prunerDir != null ? DiffPrunePruners.Load([prunerDir.FullName]) : null;
        string? name = methodName != null ? MethodSelection.Canonical(methodName) : null;
        using var folder = RunFolderLock.Acquire(outDir.FullName);
        var (vlm, tokenizer) = ModelFolder.Load(modelDir.FullName);
        BenchOption.WarnOnMismatch(modelDir, bench);
        pruners?.CheckFits(vlm.Config.Vision.HiddenSize, modelDir.FullName);
        int keep = BudgetFractions.Keep(fraction, vlm.Config.MaxVisualTokens);
        var inference = new VlmInference(vlm);
        var compared = pruners == null ? new ComparedMethod(name!, v => PruningMethods.Create(name!, v, keep, seed))
            : budget.Mode == BudgetMode.Threshold ? Threshold(pruners.At(keep)[0], new ValidationThresholds(inference, SceneVlm.Scenes(bench, vlm.Config), budget.CalibrationScenes), keep)
            : Trained(pruners.At(keep)[0]);
        var result = PruneComparison.Run(inference, tokenizer, compared, image, question, runs);
        var files = PruneComparison.Write(outDir.FullName, result);
        Console.WriteLine(PruneComparison.Markdown(result));
        if (budget.Mode == BudgetMode.Threshold)
            Console.Error.WriteLine($"threshold mode: this image keeps K = {result.Kept.Count} of {result.VisualTokens} tokens (the threshold keeps {keep} on average over validation scenes)");
        foreach (var f in files) Console.Error.WriteLine(f);
        return 0;
    }

    static ComparedMethod Trained((TokenPruner Pruner, string Label) pruner) => new(pruner.Label, _ => pruner.Pruner);

    /// <summary>The pruner in threshold mode at mean K = <paramref name="keep"/>: its stored threshold when it is for that K, else one calibrated now.</summary>
    static ComparedMethod Threshold((TokenPruner Pruner, string Label) pruner, ValidationThresholds thresholds, int keep)
    {
        var calibrated = thresholds.At(pruner.Pruner, keep);
        var stored = pruner.Pruner.Config.Threshold?.MeanKeep == keep;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"threshold: z ≥ {calibrated.Config.Threshold!.Value:F4} on standardised logits, {(stored ? "stored in pruner.json" : "calibrated now")} on {calibrated.Config.Threshold.Images} validation images to mean K = {keep}"));
        return new ComparedMethod(MethodSelection.ThresholdLabel(pruner.Label), _ => calibrated);
    }
}
