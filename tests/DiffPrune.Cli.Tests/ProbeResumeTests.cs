using System.Text.Json.Nodes;
using DiffPrune.Probes;
using DiffPrune.Testing;

namespace DiffPrune.Cli.Tests;

/// <summary><c>probe --resume</c>: an interrupted multi-seed probe continues where it stopped and ends with the report an
/// uninterrupted run writes; the per-seed log refuses other options and survives a torn last line.</summary>
public sealed class ProbeResumeTests(ModelFolderFixture folder) : IClassFixture<ModelFolderFixture>
{
    // --quick made smaller still, on the synthetic Fashion-MNIST stand-in (60 test images)
    static readonly string[] Micro =
    [
        "--encoders", "a:8:1:2,b:8:2:2", "--classifier-steps", "3", "--classifier-batch", "4", "--standardizer-images", "8",
        "--scorer-steps", "2", "--scorer-batch", "2", "--coherence-batches", "2", "--coherence-batch-size", "2",
        "--grid", "3", "--landscape-images", "2", "--test-images", "4",
    ];

    string Data()
    {
        var dir = folder.Out("probe-data");
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir);
            IdxFiles.WriteSyntheticFashionMnist(dir);
        }
        return dir;
    }

    string[] Probe(string outDir, params string[] extra) => ["probe", "--quick", "--seeds", "2", "--data", Data(), "--out", outDir, .. Micro, .. extra];

    /// <summary>report.json without the wall times, which differ between any two runs.</summary>
    static string Numbers(string dir)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "report.json")))!;
        void Strip(JsonNode? node)
        {
            if (node is JsonObject o)
            {
                o.Remove("Seconds");
                foreach (var (_, child) in o) Strip(child);
            }
            else if (node is JsonArray a) foreach (var child in a) Strip(child);
        }
        Strip(json);
        return json.ToJsonString();
    }

    [Fact]
    public void AnInterruptedProbeResumesToTheReportOfAnUninterruptedOne()
    {
        var whole = folder.Out("probe-whole");
        Assert.Equal(0, Cli.Run(Probe(whole)).Exit);

        var parts = folder.Out("probe-parts");
        var (exit, _, error) = Cli.Run(Probe(parts, "--stop-after", "1"));
        Assert.Equal(0, exit);
        Assert.Contains("stopped after 1 of 2 seeds", error);
        string log = Path.Combine(parts, ProbeLog.FileName);
        Assert.Single(File.ReadAllLines(log));
        Assert.Single(JsonNode.Parse(File.ReadAllText(Path.Combine(parts, "report.json")))!["seeds"]!.AsArray());

        // a fresh run into the folder and a resume with other options are refused, and leave the log as it was
        Cli.Fails(CliErrors.Usage, Probe(parts), ProbeLog.FileName, "--resume");
        Cli.Fails(CliErrors.BadInput, Probe(parts, "--resume", "--scorer-lr", "0.01"), ProbeLog.FileName, "other options", "lr 0.01");
        Assert.Single(File.ReadAllLines(log));

        // a crash in the middle of the second seed's append left a torn line
        File.AppendAllText(log, """{"Options":"encoders = a (d 8""");
        (exit, _, error) = Cli.Run(Probe(parts, "--resume"));
        Assert.Equal(0, exit);
        Assert.Contains("1 restored from seeds.jsonl", error);
        Assert.Equal(2, File.ReadAllLines(log).Length);
        Assert.Equal(Numbers(whole), Numbers(parts));
        foreach (var png in Directory.GetFiles(whole, "*.png"))
            Assert.True(File.ReadAllBytes(png).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(parts, Path.GetFileName(png)))), $"{Path.GetFileName(png)} differs");

        // everything finished: a further resume restores both seeds and runs nothing
        (exit, _, error) = Cli.Run(Probe(parts, "--resume"));
        Assert.Equal(0, exit);
        Assert.Contains("2 restored", error);
        Assert.Equal(Numbers(whole), Numbers(parts));
    }

    [Fact]
    public void AResumeWithoutALogIsBadInput() =>
        Cli.Fails(CliErrors.BadInput, Probe(folder.Out("probe-none"), "--resume"), "no probe log", "without --resume");
}
