using DiffPrune.Tensors.IO;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;

namespace DiffPrune.Cli.Commands;

/// <summary><c>diffprune scenes --sample</c>: a contact sheet and example items of SceneBench, to look at;
/// <c>--calibrate</c>: the oracle analysis and the baselines' selections (<see cref="CalibrationCommand"/>).</summary>
internal static class ScenesCommand
{
    const int Scale = 2, Gap = 2, ExampleScenes = 4, ItemsPerSuite = 3;

    public static Command Create()
    {
        var sample = new Option<bool>("--sample") { Description = "Write a contact sheet (PNG) and example captions and items (Markdown)" };
        var count = new Option<int>("--count") { Description = "Number of scenes on the contact sheet", DefaultValueFactory = _ => 16 };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder to write into (created if missing)", DefaultValueFactory = _ => new DirectoryInfo("scenes-sample") };
        var seed = new Option<long?>("--seed") { Description = "Seed of the first scene (default: the first test scene, 2000000000)" };
        var grid = new Option<int>("--grid") { Description = "Visual tokens per image: 144 (96 px, default) or 81 (72 px)", DefaultValueFactory = _ => 144 };
        var bench = BenchOption.Create();
        var resolution = ResolutionOption.Create();
        var calibration = new CalibrationCommand();
        var cmd = new Command("scenes", "SceneBench: synthetic scenes with captions and ten question suites. --sample writes a contact sheet and examples; --calibrate measures what a token budget can hold on them.")
        {
            sample, count, output, seed, grid, bench, resolution, calibration.Calibrate, calibration.Scenes, calibration.Model, calibration.Methods,
        };
        cmd.SetAction(r =>
        {
            var configuration = BenchOption.Parse(r, bench);
            var geometry = ResolutionOption.Parse(r, resolution);
            if (!r.GetValue(sample) && !r.GetValue(calibration.Calibrate))
                throw new ArgumentException("nothing to do: pass --sample to write a contact sheet and example items, or --calibrate to measure the budget");
            using var folder = RunFolderLock.Acquire(r.GetValue(output)!.FullName);
            if (r.GetValue(calibration.Calibrate))
            {
                if (geometry != SceneResolution.Standard)
                    throw new ArgumentException($"--calibrate measures standard scenes only (one N for all): drop --resolution {geometry.Name()}");
                return calibration.Run(r, configuration, r.GetValue(output)!);
            }
            return Run(r.GetValue(count), r.GetValue(output)!, r.GetValue(seed), SceneOptions.For(configuration, r.GetValue(grid), geometry));
        });
        return cmd;
    }

    static int Run(int count, DirectoryInfo output, long? seed, SceneOptions options)
    {
        if (count < 1 || count > 1024) throw new ArgumentException($"--count must be in 1..1024 (got {count})");
        long first = seed ?? SceneSplit.Test.FirstSeed();
        if (first < 0) throw new ArgumentException($"--seed must be non-negative (got {first})");

        var generator = new SceneBench(options);
        var watch = Stopwatch.StartNew();
        var examples = Enumerable.Range(0, count).Select(i => generator.Example(first + i)).ToArray();
        watch.Stop();

        Directory.CreateDirectory(output.FullName);
        string sheet = Path.Combine(output.FullName, "scenes.png");
        string degraded = Path.Combine(output.FullName, "scenes-vizwiz.png");
        string markdown = Path.Combine(output.FullName, "scenes.md");
        PngEncoder.Save(ContactSheet(examples.Select(e => e.Scene.Image).ToArray()), sheet);
        PngEncoder.Save(ContactSheet(examples.Select(VizWizImage).ToArray()), degraded);
        var shown = examples.Take(ExampleScenes).ToArray();
        foreach (var e in shown)
        {
            PngEncoder.Save(ContactSheet([e.Scene.Image]), Path.Combine(output.FullName, $"scene-{e.Scene.Seed}.png"));
            PngEncoder.Save(ContactSheet([VizWizImage(e)]), Path.Combine(output.FullName, $"scene-{e.Scene.Seed}-vizwiz.png"));
        }
        AtomicFile.WriteAllText(markdown, Markdown(options, examples, shown, first));

        int items = examples.Sum(e => e.Items.Count);
        Console.WriteLine(sheet);
        Console.WriteLine(degraded);
        Console.WriteLine(markdown);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{count} scenes with {items} items in {watch.Elapsed.TotalMilliseconds:F1} ms ({watch.Elapsed.TotalMilliseconds / count:F2} ms per scene, first call includes JIT)"));
        return 0;
    }

    static RgbImage VizWizImage(SceneExample e) => e.ItemsOf(SceneSuite.VizWiz).Select(i => i.Image).FirstOrDefault(i => i != null) ?? e.Scene.Image;

    // images side by side in a near-square grid of cells as large as the largest image, each upscaled and placed at its
    // cell's top left (variable-size scenes keep their own shapes), with thin dark separators
    static RgbImage ContactSheet(IReadOnlyList<RgbImage> images)
    {
        int cellWidth = images.Max(i => i.Width) * Scale, cellHeight = images.Max(i => i.Height) * Scale;
        int cols = (int)Math.Ceiling(Math.Sqrt(images.Count)), rows = (images.Count + cols - 1) / cols;
        var sheet = RgbImage.Filled(cols * (cellWidth + Gap) + Gap, rows * (cellHeight + Gap) + Gap, 40, 40, 40);
        for (int k = 0; k < images.Count; k++)
        {
            int ox = Gap + k % cols * (cellWidth + Gap), oy = Gap + k / cols * (cellHeight + Gap);
            for (int y = 0; y < images[k].Height * Scale; y++)
                for (int x = 0; x < images[k].Width * Scale; x++)
                {
                    var (r, g, b) = images[k].GetPixel(x / Scale, y / Scale);
                    sheet.SetPixel(ox + x, oy + y, r, g, b);
                }
        }
        return sheet;
    }

    static string Markdown(SceneOptions options, SceneExample[] all, SceneExample[] shown, long first)
    {
        var md = new StringBuilder();
        md.AppendLine("# SceneBench sample").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Scenes {first}..{first + all.Length - 1} ({options.Configuration.Name()} configuration, {options.Resolution.Name()} resolution): {Geometry(options)}, {options.MinObjects}-{options.MaxObjects} objects.");
        md.AppendLine().AppendLine("![scenes](scenes.png)").AppendLine().AppendLine("VizWiz's degraded versions:").AppendLine().AppendLine("![vizwiz](scenes-vizwiz.png)").AppendLine();
        foreach (var e in shown)
        {
            var s = e.Scene;
            md.AppendLine(CultureInfo.InvariantCulture, $"## Scene {s.Seed}").AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"![scene {s.Seed}](scene-{s.Seed}.png) ![vizwiz {s.Seed}](scene-{s.Seed}-vizwiz.png)").AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"Size: {s.Options.ImageWidth}x{s.Options.ImageHeight} px ({s.Options.GridColumns}x{s.Options.GridRows} patches). Background: {s.BackgroundKind.ToString().ToLowerInvariant()}. Object patches: {s.PatchObject.Count(p => p >= 0)} of {s.PatchObject.Count}; clutter patches: {s.PatchClutter.Count(c => c)}.").AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"Caption: *{s.Caption}*").AppendLine();
            md.AppendLine("| suite | question | answer | note |").AppendLine("| --- | --- | --- | --- |");
            foreach (var suite in SceneSuites.All)
                foreach (var item in e.ItemsOf(suite).Take(ItemsPerSuite))
                    md.AppendLine(CultureInfo.InvariantCulture, $"| {suite.DisplayName()} | {item.Prompt} | {item.Answer} | {Note(item)} |");
            md.AppendLine();
        }
        return md.ToString();
    }

    // the bench's geometry: its one size, or the sides its scenes draw from
    static string Geometry(SceneOptions o) => o.VariableSides is { } sides
        ? string.Create(CultureInfo.InvariantCulture, $"width and height each drawn per scene from {{{string.Join(", ", sides)}}} px, {o.PatchSize} px patches ({sides.Min() / o.PatchSize}-{sides.Max() / o.PatchSize} per side: {sides.Min() * sides.Min() / (o.PatchSize * o.PatchSize)}-{sides.Max() * sides.Max() / (o.PatchSize * o.PatchSize)} visual tokens)")
        : string.Create(CultureInfo.InvariantCulture, $"{o.ImageWidth}x{o.ImageHeight} px, {o.PatchSize} px patches ({o.GridColumns}x{o.GridRows} = {o.PatchCount} visual tokens)");

    static string Note(SceneQuestion item)
    {
        var parts = new List<string> { item.Skill.ToString().ToLowerInvariant() };
        if (item.PopeSplit is PopeSplit split) parts.Add(split.ToString().ToLowerInvariant());
        if (item.Group >= 0) parts.Add($"group {item.Group}");
        if (item.Degradation != ImageDegradation.None) parts.Add(item.Degradation.ToString().ToLowerInvariant());
        if (item.Unanswerable != UnanswerableReason.None) parts.Add(item.Unanswerable.ToString().ToLowerInvariant());
        return string.Join(", ", parts);
    }
}
