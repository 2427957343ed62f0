using DiffPrune.Tensors.IO;
using System.CommandLine;
using System.Globalization;
using DiffPrune.Data.Scenes;
using DiffPrune.Eval;
using DiffPrune.Eval.Reports;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vlm;

namespace DiffPrune.Cli.Commands;

/// <summary><c>diffprune eval</c>: methods × budgets × suites on a loaded VLM, paper Table 1 as Markdown, JSON and CSV.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = ShippedModel.Option();
        var methods = new MethodOptions();
        var budgets = new Option<string>("--budgets") { Description = "Kept fractions of N, comma-separated (fractions or decimals in (0, 1))", DefaultValueFactory = _ => "1/3,2/9,1/9" };
        var scenes = new Option<int>("--scenes") { Description = "SceneBench test scenes (each with items of all ten suites)", DefaultValueFactory = _ => 100 };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for report.md, report.json and table.csv", DefaultValueFactory = _ => new DirectoryInfo("runs/eval") };
        var seed = new Option<ulong>("--seed") { Description = "Seed of Random", DefaultValueFactory = _ => 0UL };
        var batch = new Option<int>("--batch") { Description = "Images per batch", DefaultValueFactory = _ => 32 };
        var cmd = new Command("eval", "Evaluate methods × budgets × suites on SceneBench's test split: paper Table 1 (scores, Loc., average retention).")
        {
            model, methods.Methods, methods.Pruners, budgets, scenes, output, seed, batch,
        };
        cmd.SetAction(r => Run(r.GetValue(model)!, methods.Parse(r), BudgetFractions.Parse(r.GetValue(budgets)!), r.GetValue(scenes),
            r.GetValue(output)!, r.GetValue(seed), r.GetValue(batch)));
        return cmd;
    }

    static int Run(DirectoryInfo modelDir, MethodSelection selection, IReadOnlyList<double> fractions, int scenes, DirectoryInfo outDir, ulong seed, int batch)
    {
        CommandLimits.Scenes(scenes, "--scenes");
        CommandLimits.Batch(batch, "--batch");
        using var folder = RunFolderLock.Acquire(outDir.FullName);
        var (vlm, tokenizer) = ModelFolder.Load(modelDir.FullName);
        var examples = new SceneBench(SceneOptions.ForGrid(vlm.Config.Vision.NumPatches)).Split(SceneSplit.Test, scenes).ToList();
        var evaluation = new TableEvaluation(new VlmInference(vlm), tokenizer, examples, selection, fractions, ShippedModel.NameOf(modelDir), seed, batch);
        Console.Error.WriteLine($"eval: {evaluation.Plan.Count} rows ({selection.Names.Count + (selection.Pruners != null ? 1 : 0)} methods × {fractions.Count} budgets + Vanilla) on {scenes} test scenes, {evaluation.Items} questions each");
        var rows = new List<EvaluationRow>();
        TrainingProgress.Run("eval", evaluation.Plan.Count, 0, () => rows.Count == evaluation.Plan.Count, () =>
        {
            var row = evaluation.Evaluate(evaluation.Plan[rows.Count]);
            rows.Add(row);
            var line = string.Create(CultureInfo.InvariantCulture, $"{row.Method} at K = {row.Keep}: mean score {row.Scores.Average(s => s.Value) * 100:F1} % ({row.Seconds:F1} s)");
            return new TrainingProgress.Update(rows.Count, line, true);
        });
        var table = evaluation.Table(rows);
        var files = EvaluationReport.Write(outDir.FullName, table);
        Console.WriteLine(EvaluationReport.Markdown(table));
        foreach (var f in files) Console.Error.WriteLine(f);
        return 0;
    }
}
