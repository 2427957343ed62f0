using System.CommandLine;
using System.Globalization;
using DiffPrune.Data.Scenes;
using DiffPrune.Eval;
using DiffPrune.Eval.Calibration;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vlm;

namespace DiffPrune.Cli.Commands;

/// <summary>
/// <c>diffprune scenes --calibrate [--bench dense]</c>: before any model is trained on a configuration, what K patches
/// of its test scenes hold for a perfect reader (random, object-random and the best K, for K = 8, 16, 32 of 144), and
/// where the baselines' K = N/9 tokens fall (object, clutter, plain background) with the given base VLM; always next
/// to the classic configuration. Writes calibration.md and calibration.json.
/// </summary>
internal sealed class CalibrationCommand
{
    static readonly string[] DefaultMethods = ["DivPrune", "DART", "FastV", "VisionZip", "PruneSID", "Random"];

    public Option<bool> Calibrate { get; } = new("--calibrate") { Description = "Measure what a token budget holds on the --bench configuration next to classic: oracle analysis and the baselines' selections (calibration.md/json in --out)" };
    public Option<int> Scenes { get; } = new("--scenes") { Description = "Test scenes calibrated on per configuration", DefaultValueFactory = _ => 200 };
    public Option<DirectoryInfo> Model { get; } = new("--model")
    {
        Description = "Base VLM whose baselines' selections are measured; default: the shipped classic SceneBench VLM (calibration comes before any model is trained on the new configuration)",
        DefaultValueFactory = _ => new DirectoryInfo(ShippedModel.Folder(SceneBenchConfiguration.Classic)),
    };
    public Option<string> Methods { get; } = new("--methods") { Description = "Baselines whose selections are measured at K = N/9 (comma-separated; none: oracle only)", DefaultValueFactory = _ => string.Join(",", DefaultMethods) };

    public int Run(ParseResult r, SceneBenchConfiguration bench, DirectoryInfo output)
    {
        int scenes = r.GetValue(Scenes);
        if (scenes < 1 || scenes > 100_000) throw new ArgumentException($"--scenes must be in 1..100000 (got {scenes})");
        var methods = (r.GetValue(Methods) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(MethodSelection.Canonical).ToArray();
        var configurations = new[] { SceneBenchConfiguration.Classic, bench }.Distinct().ToArray();
        var modelDir = r.GetValue(Model)!;
        var (vlm, tokenizer) = ModelFolder.Load(modelDir.FullName);
        int n = vlm.Config.Vision.NumPatches, keep = n / 9;
        var budgets = new[] { n / 18, n / 9, 2 * n / 9 };
        var oracle = new List<OracleSummary>();
        var selections = new List<SelectionShare>();
        var inference = new VlmInference(vlm);
        foreach (var configuration in configurations)
        {
            var examples = new SceneBench(SceneOptions.For(configuration, n)).Split(SceneSplit.Test, scenes).ToList();
            oracle.Add(OracleAnalysis.Run(examples.Select(e => e.Scene).ToArray(), budgets));
            Console.Error.WriteLine($"calibrate: {configuration.Name()}: oracle analysis of {scenes} test scenes done; selections of {methods.Length} methods at K = {keep} of {n}");
            if (methods.Length > 0) selections.AddRange(SelectionAnalysis.Run(inference, tokenizer, examples, methods, keep));
        }
        var files = CalibrationReport.Write(output.FullName, ShippedModel.NameOf(modelDir), oracle, selections);
        Console.WriteLine(CalibrationReport.Markdown(ShippedModel.NameOf(modelDir), oracle, selections));
        foreach (var f in files) Console.Error.WriteLine(f);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"calibrated {string.Join(" and ", configurations.Select(c => c.Name()))} on {scenes} test scenes each"));
        return 0;
    }
}
