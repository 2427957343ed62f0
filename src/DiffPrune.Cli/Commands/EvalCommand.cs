using DiffPrune.Training.Pretraining;
using DiffPrune.Tensors.IO;
using System.CommandLine;
using System.Globalization;
using DiffPrune.Data.Scenes;
using DiffPrune.Eval;
using DiffPrune.Eval.Reports;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Tensors.Distributed;

namespace DiffPrune.Cli.Commands;

/// <summary><c>diffprune eval</c>: methods × budgets × suites on a loaded VLM, paper Table 1 as Markdown, JSON and CSV.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var choice = new BaseModelChoice();
        var methods = new MethodOptions();
        var budgetMode = new BudgetModeOptions();
        var budgets = new Option<string>("--budgets") { Description = "Kept fractions of N, comma-separated (fractions or decimals in (0, 1))", DefaultValueFactory = _ => "1/3,2/9,1/9" };
        var scenes = new Option<int>("--scenes") { Description = "SceneBench test scenes (each with items of all ten suites)", DefaultValueFactory = _ => 100 };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for report.md, report.json and table.csv", DefaultValueFactory = _ => new DirectoryInfo("runs/eval") };
        var seed = new Option<ulong>("--seed") { Description = "Seed of Random", DefaultValueFactory = _ => 0UL };
        var batch = new Option<int>("--batch") { Description = "Images per batch", DefaultValueFactory = _ => 32 };
        var captionLoss = new Option<bool>("--caption-loss") { Description = "Also the caption loss (teacher-forced NLL) of the test scenes' captions with each pre-LLM method's kept tokens: DiffPrune's training objective, for every method (caption-loss.md/json)" };
        var cmd = new Command("eval", "Evaluate methods × budgets × suites on SceneBench's test split: paper Table 1 (scores, Loc., average retention).")
        {
            choice.Model, methods.Methods, methods.Pruners, methods.DeployedDenoiser, budgetMode.Mode, budgetMode.CalibrationScenes, budgets, scenes, output, seed, batch, captionLoss, choice.Bench,
        };
        cmd.SetAction(r =>
        {
            var (modelDir, bench) = choice.Resolve(r);
            var (mode, calibrationScenes) = budgetMode.Parse(r);
            return Run(modelDir, methods.Parse(r, mode), calibrationScenes, BudgetFractions.Parse(r.GetValue(budgets)!), r.GetValue(scenes),
                r.GetValue(output)!, r.GetValue(seed), r.GetValue(batch), bench, r.GetValue(captionLoss));
        });
        return cmd;
    }

    static int Run(DirectoryInfo modelDir, MethodSelection selection, int calibrationScenes, IReadOnlyList<double> fractions, int scenes, DirectoryInfo outDir, ulong seed, int batch,
        SceneBenchConfiguration bench, bool captionLoss)
    {
        CommandLimits.Scenes(scenes, "--scenes");
        CommandLimits.Batch(batch, "--batch");
        var world = Communicator.World;
        // rank 0 alone writes: an unusable --out stops the run now, not after the evaluation
        using var folder = world.IsRoot ? RunFolderLock.Acquire(outDir.FullName) : null;
        var (vlm, tokenizer) = ModelFolder.LoadAny(modelDir.FullName);
        BenchOption.WarnOnMismatch(modelDir, bench);
        var sceneOptions = SceneVlm.Scenes(bench, vlm);
        var examples = new SceneBench(sceneOptions).Split(SceneSplit.Test, scenes).ToList();
        var inference = new VlmInference(vlm);
        var thresholds = selection.Mode == BudgetMode.Threshold ? new ValidationThresholds(inference, sceneOptions, calibrationScenes) : null;
        var evaluation = new TableEvaluation(inference, tokenizer, examples, selection, fractions, ShippedModel.NameOf(modelDir), seed, batch, thresholds, world);
        if (world.IsRoot && evaluation.LeftOutNote is { } note) Console.Error.WriteLine($"eval: {note}");
        int methodCount = evaluation.Plan.Count(p => p.Fraction == fractions[0]);
        if (world.IsRoot)
            Console.Error.WriteLine($"eval: {evaluation.Plan.Count} rows ({methodCount} methods × {fractions.Count} budgets + Vanilla) on {scenes} {bench.Name()} test scenes, {evaluation.Items} questions each{(world.Size > 1 ? $", images shared by {world.Size} processes" : "")}");
        var rows = new List<EvaluationRow>();
        TrainingProgress.Run("eval", evaluation.Plan.Count, 0, () => rows.Count == evaluation.Plan.Count, () =>
        {
            var row = evaluation.Evaluate(evaluation.Plan[rows.Count]);
            rows.Add(row);
            var kept = row.Threshold != null ? $", K kept {EvaluationReport.KeptCell(row.Kept)}" : "";
            var budget = row.Method == MethodSelection.Vanilla.Label ? "(unpruned)" : $"at K = {row.Keep}";
            var line = string.Create(CultureInfo.InvariantCulture, $"{row.Method} {budget}: mean score {row.Scores.Average(s => s.Value) * 100:F1} %{kept} ({row.Seconds:F1} s)");
            return new TrainingProgress.Update(rows.Count, line, true);
        });
        var table = evaluation.Table(rows);
        if (!world.IsRoot) return 0;
        var files = EvaluationReport.Write(outDir.FullName, table);
        Console.WriteLine(EvaluationReport.Markdown(table));
        foreach (var f in files) Console.Error.WriteLine(f);
        if (captionLoss) WriteCaptionLoss(CaptionLossTable.Compute(inference, tokenizer, examples.Select(e => e.Scene).ToArray(), evaluation.Plan, seed, batch), outDir.FullName);
        return 0;
    }

    static void WriteCaptionLoss(CaptionLossTable table, string dir)
    {
        var md = Path.Combine(dir, "caption-loss.md");
        AtomicFile.WriteAllText(md, table.Markdown());
        AtomicFile.WriteAllText(Path.Combine(dir, "caption-loss.json"), table.Json());
        Console.WriteLine(table.Markdown());
        Console.Error.WriteLine(md);
    }
}
