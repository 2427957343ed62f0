using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tensors.IO;
using System.CommandLine;
using System.Globalization;
using DiffPrune.Data.Scenes;
using DiffPrune.Eval;
using DiffPrune.Eval.Profiling;
using DiffPrune.Models.Loaders;

namespace DiffPrune.Cli.Commands;

/// <summary><c>diffprune profile</c>: paper Table 4 (FLOPs, encoding, decision, prefill, TTFT, speedup) on a loaded VLM and at LLaVA-1.5-7B width.</summary>
internal static class ProfileCommand
{
    public static Command Create()
    {
        var d = new LlavaWidthOptions();
        var choice = new BaseModelChoice();
        var methods = new MethodOptions();
        var budget = new Option<string>("--budget") { Description = "Kept fraction of N (default 1/9: the paper's 64 of 576, 88.9 % pruning)", DefaultValueFactory = _ => "1/9" };
        var runs = new Option<int>("--runs") { Description = "Timed runs per part on the loaded VLM (medians)", DefaultValueFactory = _ => 30 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed warm-up runs before them", DefaultValueFactory = _ => 5 };
        var noLlava = new Option<bool>("--no-llava") { Description = "Skip the LLaVA-1.5-7B-width profile" };
        var llavaLayers = new Option<int>("--llava-layers") { Description = "Vicuna-7B-width decoder layers held in memory for in-LLM decisions (prefill is summed over 32 from single-layer timings)", DefaultValueFactory = _ => d.DecoderLayers };
        var llavaVision = new Option<int>("--llava-vision-layers") { Description = "CLIP ViT-L/14-336 layers built (one fewer is computed; encoding is scaled to LLaVA's 23)", DefaultValueFactory = _ => d.VisionLayers };
        var llavaText = new Option<int>("--llava-text-tokens") { Description = "Text tokens at LLaVA width, BOS included (64 gives the paper's 8.89 T unpruned)", DefaultValueFactory = _ => d.TextTokens };
        var llavaRuns = new Option<int>("--llava-runs") { Description = "Timed runs per part at LLaVA width (a layer takes seconds on a CPU)", DefaultValueFactory = _ => d.Runs };
        var llavaWarmup = new Option<int>("--llava-warmup") { Description = "Warm-up runs at LLaVA width", DefaultValueFactory = _ => d.Warmup };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for report.md and report.json", DefaultValueFactory = _ => new DirectoryInfo("runs/profile") };
        var seed = new Option<ulong>("--seed") { Description = "Seed of Random and of the random weights at LLaVA width", DefaultValueFactory = _ => 0UL };
        var cmd = new Command("profile", "Profile every method's time to first token (encoding, decision, prefill), FLOPs and speedup: paper Table 4, on a loaded VLM and at LLaVA-1.5-7B width.")
        {
            choice.Model, methods.Methods, methods.Pruners, methods.DeployedDenoiser, budget, runs, warmup, noLlava, llavaLayers, llavaVision, llavaText, llavaRuns, llavaWarmup, output, seed, choice.Bench,
        };
        cmd.SetAction(r =>
        {
            var (modelDir, bench) = choice.Resolve(r);
            return Run(modelDir, methods.Parse(r), BudgetFractions.ParseOne(r.GetValue(budget)!), r.GetValue(runs), r.GetValue(warmup),
                r.GetValue(noLlava) ? null : new LlavaWidthOptions(r.GetValue(llavaLayers), r.GetValue(llavaVision), r.GetValue(llavaText), r.GetValue(llavaRuns), r.GetValue(llavaWarmup), r.GetValue(seed)).Validate(),
                r.GetValue(output)!, r.GetValue(seed), bench);
        });
        return cmd;
    }

    static int Run(DirectoryInfo modelDir, MethodSelection selection, double fraction, int runs, int warmup, LlavaWidthOptions? llava, DirectoryInfo outDir, ulong seed, SceneBenchConfiguration bench)
    {
        if (runs < 1 || warmup < 0) throw new ArgumentException($"--runs must be at least 1 and --warmup at least 0 (got {runs} and {warmup})");
        if (llava != null) RequireMemory(llava);
        using var folder = RunFolderLock.Acquire(outDir.FullName);
        var (vlm, tokenizer) = ModelFolder.Load(modelDir.FullName);
        BenchOption.WarnOnMismatch(modelDir, bench);
        var tables = new List<ProfileTable> { Measure(EfficiencyProfile.ForModel(vlm, tokenizer, ShippedModel.NameOf(modelDir), selection, fraction, runs, warmup, seed, bench)) };
        if (llava != null)
        {
            Console.Error.WriteLine($"building LLaVA-1.5-7B-width models (random weights, {llava.DecoderLayers} decoder layers, {llava.VisionLayers} vision layers); this takes a while");
            tables.Add(Measure(EfficiencyProfile.AtLlavaWidth(selection, fraction, llava)));
        }
        var (md, json) = ProfileReport.Write(outDir.FullName, tables);
        Console.WriteLine(ProfileReport.Markdown(tables));
        Console.Error.WriteLine(md);
        Console.Error.WriteLine(json);
        return 0;
    }

    static ProfileTable Measure(EfficiencyProfile profile)
    {
        TrainingProgress.Run("profile", profile.Steps, profile.StepsDone, () => profile.Done, () =>
        {
            string line = profile.Step();
            bool print = profile.StepsDone <= profile.Methods.Count || profile.StepsDone % 10 == 0 || profile.Done;
            return new TrainingProgress.Update(profile.StepsDone, line, print);
        });
        var table = profile.Table();
        foreach (var row in table.Rows)
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{table.Title}: {row.Method} TTFT {row.TtftMs:F2} ms (enc {row.EncodeMs:F2}, pruner {row.PrunerMs:F2}, prefill {row.PrefillMs:F2})"));
        return table;
    }

    /// <summary>LLaVA-1.5-7B-width layers are 0.2 GB (vision) and 0.8 GB (Vicuna) each: refuses a layer count the machine cannot hold.</summary>
    static void RequireMemory(LlavaWidthOptions llava)
    {
        var full = LlavaConfig.Llava15_7B();
        var built = full with
        {
            Vision = full.Vision with { NumLayers = llava.VisionLayers },
            Text = full.Text with { NumLayers = llava.DecoderLayers },
        };
        MemoryBudget.Require(checked(4 * built.ParameterCount()), $"--llava-layers {llava.DecoderLayers} --llava-vision-layers {llava.VisionLayers} ({built.ParameterCount():N0} parameters at LLaVA-1.5-7B width)",
            "give fewer --llava-layers, or --no-llava");
    }
}
