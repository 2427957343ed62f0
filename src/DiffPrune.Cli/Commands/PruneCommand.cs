using DiffPrune.Tensors.IO;
using System.CommandLine;
using System.Globalization;
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
        var model = ShippedModel.Option();
        var pruner = new Option<DirectoryInfo?>("--pruner") { Description = "A trained DiffPrune pruner folder (diffprune train's pruner/) or a folder of those" };
        var method = new Option<string?>("--method") { Description = $"Or a registered method: {string.Join(", ", PruningMethods.Names)}" };
        var image = new Option<FileInfo>("--image") { Description = "PNG image (resized to the model's input)", Required = true };
        var question = new Option<string>("--question") { Description = "The question to answer", Required = true };
        var budget = new Option<string>("--budget") { Description = "Kept fraction of N", DefaultValueFactory = _ => "1/9" };
        var runs = new Option<int>("--runs") { Description = "Timed runs per part (medians)", DefaultValueFactory = _ => 10 };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for tokens.png, similarity.png, report.md and report.json", DefaultValueFactory = _ => new DirectoryInfo("runs/prune") };
        var seed = new Option<ulong>("--seed") { Description = "Seed of Random", DefaultValueFactory = _ => 0UL };
        var cmd = new Command("prune", "Answer a question about a PNG image with and without pruning; time both; draw kept and dropped tokens and the top-K/bottom-K similarity matrix (paper Figure 5).")
        {
            model, pruner, method, image, question, budget, runs, output, seed,
        };
        cmd.SetAction(r => Run(r.GetValue(model)!, r.GetValue(pruner), r.GetValue(method), r.GetValue(image)!, r.GetValue(question)!,
            BudgetFractions.ParseOne(r.GetValue(budget)!), r.GetValue(runs), r.GetValue(output)!, r.GetValue(seed)));
        return cmd;
    }

    static int Run(DirectoryInfo modelDir, DirectoryInfo? prunerDir, string? methodName, FileInfo imageFile, string question, double fraction,
        int runs, DirectoryInfo outDir, ulong seed)
    {
        if ((prunerDir == null) == (methodName == null))
            throw new ArgumentException("give one of --pruner DIR (a trained DiffPrune pruner) or --method NAME (a registered method)");
        if (runs < 1) throw new ArgumentException($"--runs must be at least 1 (got {runs})");
        var image = PruneComparison.ReadImage(imageFile.FullName);
        var pruners = prunerDir != null ? DiffPrunePruners.Load([prunerDir.FullName]) : null;
        string? name = methodName != null ? MethodSelection.Canonical(methodName) : null;
        using var folder = RunFolderLock.Acquire(outDir.FullName);
        var (vlm, tokenizer) = ModelFolder.Load(modelDir.FullName);
        pruners?.CheckFits(vlm.Config.Vision.HiddenSize, modelDir.FullName);
        int keep = BudgetFractions.Keep(fraction, vlm.Config.Vision.NumPatches);
        var compared = pruners != null ? Trained(pruners.At(keep)) : new ComparedMethod(name!, v => PruningMethods.Create(name!, v, keep, seed));
        var result = PruneComparison.Run(new VlmInference(vlm), tokenizer, compared, image, question, runs);
        var files = PruneComparison.Write(outDir.FullName, result);
        Console.WriteLine(PruneComparison.Markdown(result));
        foreach (var f in files) Console.Error.WriteLine(f);
        return 0;
    }

    static ComparedMethod Trained((TokenPruner Pruner, string Label) pruner) => new(pruner.Label, _ => pruner.Pruner);
}
