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
    /// <summary>The 7B widths profiled, by their <c>--widths</c> names, in report order.</summary>
    static readonly (string Name, string Title)[] Widths = [("llava15", "LLaVA-1.5-7B"), ("llava-next", "LLaVA-NeXT-7B"), ("qwen25vl", "Qwen2.5-VL-7B")];

    public static Command Create()
    {
        var d = new LlavaWidthOptions();
        var choice = new BaseModelChoice();
        var methods = new MethodOptions();
        var budget = new Option<string>("--budget") { Description = "Kept fraction of N (default 1/9: the paper's 64 of 576, 320 of LLaVA-NeXT's 2,880, 88.9 % pruning; K = round(rate × N))", DefaultValueFactory = _ => "1/9" };
        var runs = new Option<int>("--runs") { Description = "Timed runs per part on the loaded VLM (medians)", DefaultValueFactory = _ => 30 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed warm-up runs before them", DefaultValueFactory = _ => 5 };
        var widths = new Option<string>("--widths") { Description = $"7B widths to profile with random weights, comma-separated: {string.Join(", ", Widths.Select(w => w.Name))}, or none", DefaultValueFactory = _ => string.Join(",", Widths.Select(w => w.Name)) };
        var noLlava = new Option<bool>("--no-llava") { Description = "Skip every 7B-width profile (same as --widths none)" };
        var llavaLayers = new Option<int>("--llava-layers") { Description = "Decoder layers held in memory at each 7B width for in-LLM decisions (prefill is summed over the full depth from single-layer timings)", DefaultValueFactory = _ => d.DecoderLayers };
        var llavaVision = new Option<int>("--llava-vision-layers") { Description = "Vision layers built at each 7B width (CLIP: one fewer is computed, scaled to 23; Qwen2.5-VL: blocks, the last one full attention, scaled to 32)", DefaultValueFactory = _ => d.VisionLayers };
        var llavaText = new Option<int>("--llava-text-tokens") { Description = "Text tokens at 7B width, BOS included (64 gives the paper's 8.89 T unpruned on LLaVA-1.5)", DefaultValueFactory = _ => d.TextTokens };
        var llavaRuns = new Option<int>("--llava-runs") { Description = "Timed runs per part at 7B width (a layer takes seconds on a CPU)", DefaultValueFactory = _ => d.Runs };
        var llavaWarmup = new Option<int>("--llava-warmup") { Description = "Warm-up runs at 7B width", DefaultValueFactory = _ => d.Warmup };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for report.md and report.json", DefaultValueFactory = _ => new DirectoryInfo("runs/profile") };
        var seed = new Option<ulong>("--seed") { Description = "Seed of Random and of the random weights at 7B width", DefaultValueFactory = _ => 0UL };
        var cmd = new Command("profile", "Profile every method's time to first token (encoding, decision, prefill), FLOPs and speedup: paper Table 4, on a loaded VLM and at the true widths of LLaVA-1.5-7B, LLaVA-NeXT-7B and Qwen2.5-VL-7B.")
        {
            choice.Model, methods.Methods, methods.Pruners, methods.DeployedDenoiser, budget, runs, warmup, widths, noLlava, llavaLayers, llavaVision, llavaText, llavaRuns, llavaWarmup, output, seed, choice.Bench,
        };
        cmd.SetAction(r =>
        {
            var (modelDir, bench) = choice.Resolve(r);
            var chosen = r.GetValue(noLlava) ? [] : ParseWidths(r.GetValue(widths)!);
            var wide = chosen.Length == 0 ? null : new LlavaWidthOptions(r.GetValue(llavaLayers), r.GetValue(llavaVision), r.GetValue(llavaText), r.GetValue(llavaRuns), r.GetValue(llavaWarmup), r.GetValue(seed)).Validate();
            return Run(modelDir, methods.Parse(r), BudgetFractions.ParseOne(r.GetValue(budget)!), r.GetValue(runs), r.GetValue(warmup), chosen, wide,
                r.GetValue(output)!, r.GetValue(seed), bench);
        });
        return cmd;
    }

    /// <summary>"llava15,qwen25vl" → their names in report order; "none" → none.</summary>
    /// <exception cref="ArgumentException">An unknown name (lists the known ones).</exception>
    static string[] ParseWidths(string list)
    {
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(n => n.ToLowerInvariant()).ToArray();
        if (names is ["none"]) return [];
        if (names.Length == 0) throw new ArgumentException("--widths is empty: give some of llava15, llava-next, qwen25vl, or none");
        foreach (var name in names)
            if (!Widths.Any(w => w.Name == name))
                throw new ArgumentException($"--widths: unknown width '{name}'; known: {string.Join(", ", Widths.Select(w => w.Name))}, or none");
        return Widths.Select(w => w.Name).Where(names.Contains).ToArray();
    }

    static int Run(DirectoryInfo modelDir, MethodSelection selection, double fraction, int runs, int warmup, string[] widths, LlavaWidthOptions? wide,
        DirectoryInfo outDir, ulong seed, SceneBenchConfiguration bench)
    {
        if (runs < 1 || warmup < 0) throw new ArgumentException($"--runs must be at least 1 and --warmup at least 0 (got {runs} and {warmup})");
        if (wide != null) foreach (var width in widths) RequireMemory(width, wide);
        using var folder = RunFolderLock.Acquire(outDir.FullName);
        var (vlm, tokenizer) = ModelFolder.Load(modelDir.FullName);
        BenchOption.WarnOnMismatch(modelDir, bench);
        var tables = new List<ProfileTable> { Measure(EfficiencyProfile.ForModel(vlm, tokenizer, ShippedModel.NameOf(modelDir), selection, fraction, runs, warmup, seed, bench)) };
        if (wide != null)
            foreach (var width in widths)
            {
                Console.Error.WriteLine($"building {Widths.First(w => w.Name == width).Title}-width models (random weights, {wide.DecoderLayers} decoder layers, {wide.VisionLayers} vision layers); this takes a while");
                tables.Add(Measure(width switch
                {
                    "llava15" => EfficiencyProfile.AtLlavaWidth(selection, fraction, wide),
                    "llava-next" => EfficiencyProfile.AtLlavaNextWidth(selection, fraction, wide),
                    _ => EfficiencyProfile.AtQwen25Width(selection, fraction, wide),
                }));
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

    /// <summary>
    /// Refuses, before anything is built, a layer count the machine cannot hold (a 7B-width layer is 0.2 GB for CLIP, 0.08 GB
    /// for Qwen2.5-VL's tower, 0.8 GB for Vicuna, 0.9 GB for Qwen2-7B; each width's models are built after the last one's
    /// are freed) or, for Qwen2.5-VL, more layers than the target has.
    /// </summary>
    static void RequireMemory(string width, LlavaWidthOptions wide)
    {
        var qwen = Qwen25WidthTarget.Qwen25VL7B();
        long parameters;
        if (width == "qwen25vl")
            parameters = qwen.BuiltParameterCount(wide.VisionLayers, wide.DecoderLayers);
        else
        {
            var full = width == "llava15" ? LlavaConfig.Llava15_7B() : LlavaConfig.LlavaNext7B();
            parameters = (full with
            {
                Vision = full.Vision with { NumLayers = wide.VisionLayers },
                Text = full.Text with { NumLayers = wide.DecoderLayers },
            }).ParameterCount();
        }
        string title = Widths.First(w => w.Name == width).Title;
        MemoryBudget.Require(checked(4 * parameters), $"--llava-layers {wide.DecoderLayers} --llava-vision-layers {wide.VisionLayers} ({parameters:N0} parameters at {title} width)",
            "give fewer --llava-layers, fewer --widths, or --no-llava");
        if (width == "qwen25vl" && (wide.VisionLayers > qwen.Vision.Depth || wide.DecoderLayers > qwen.Text.NumLayers))
            throw new ArgumentException($"--llava-vision-layers {wide.VisionLayers} / --llava-layers {wide.DecoderLayers}: Qwen2.5-VL-7B has {qwen.Vision.Depth} vision blocks and {qwen.Text.NumLayers} decoder layers; give at most those, or leave qwen25vl out of --widths");
    }
}
