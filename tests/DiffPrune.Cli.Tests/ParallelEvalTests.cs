using System.Text.Json.Nodes;

namespace DiffPrune.Cli.Tests;

/// <summary>
/// The command line under <c>mpiexec -n 2</c> (skipped where mpiexec is missing): eval sharded over two ranks gives the
/// one-process report, the demo its tables, and a failure on one rank ends both with one message instead of a hang.
/// </summary>
public class ParallelEvalTests(ModelFolderFixture folder) : IClassFixture<ModelFolderFixture>
{
    static readonly string Tool = Path.Combine(AppContext.BaseDirectory, "diffprune.dll");
    static readonly TimeSpan Limit = TimeSpan.FromMinutes(4), DemoLimit = TimeSpan.FromMinutes(8);

    [MpiFact]
    public void EvalOnTwoRanksWritesTheOneProcessReport()
    {
        // the shipped model (real scores, not a random model's zeros); 2 images per batch so that both ranks get batches
        string[] eval = ["eval", "--methods", "divprune", "--budgets", "1/9", "--scenes", "6", "--batch", "2"];
        string alone = folder.Out("eval-alone"), shared = folder.Out("eval-two-ranks");
        var one = MpiExec.RunAlone(Tool, [.. eval, "--out", alone], Limit);
        var two = MpiExec.Run(2, Tool, [.. eval, "--out", shared], Limit);
        Assert.True(one.Exit == 0, one.Error);
        Assert.True(two.Exit == 0, two.Error);

        var expected = WithoutTimes(File.ReadAllText(Path.Combine(alone, "report.json")));
        var actual = WithoutTimes(File.ReadAllText(Path.Combine(shared, "report.json")));
        Assert.True(JsonNode.DeepEquals(expected, actual), $"reports differ:\n{expected}\n---\n{actual}");
        Assert.Contains(expected["upperBound"]!["scores"]!.AsObject(), s => s.Value!["value"]!.GetValue<double>() > 0);
        Assert.Equal(File.ReadAllText(Path.Combine(alone, "table.csv")), File.ReadAllText(Path.Combine(shared, "table.csv")));
        // rank 1 printed nothing: one plan line, one table, and rank 0's file list
        Assert.Single(two.Error.Split('\n'), l => l.StartsWith("eval: "));
        Assert.Contains("images shared by 2 processes", two.Error);
        Assert.Equal(1, Count(two.Out, "# SceneBench evaluation (paper Table 1)"));
        Assert.Equal(Directory.GetFiles(alone).Select(Path.GetFileName).Order(), Directory.GetFiles(shared).Select(Path.GetFileName).Order());
    }

    [MpiFact]
    public void AFailureOnOneRankStopsBothWithOneMessage()
    {
        // only rank 0 writes, so only rank 0 meets the bad --out, while rank 1 evaluates its share and then waits for rank 0's
        var notAFolder = folder.Out("not-a-folder");
        File.WriteAllText(notAFolder, "a file where --out wants a folder");
        var (exit, output, error) = MpiExec.Run(2, Tool, ["eval", "--methods", "random", "--budgets", "1/9", "--scenes", "4", "--batch", "1", "--out", notAFolder], Limit);
        Assert.NotEqual(0, exit);
        Assert.Equal("", output);
        var ours = error.Split('\n').Where(l => l.StartsWith("error: ")).ToArray();
        Assert.True(ours.Length == 1, error);
        Assert.Contains(notAFolder, ours[0]);
        Assert.Contains("rank 0 of 2; all ranks stopped", ours[0]);
    }

    [MpiFact]
    public void ACommandThatDoesNotShareItsWorkIsRefusedOnce()
    {
        var (exit, output, error) = MpiExec.Run(2, Tool, ["probe", "--quick", "--out", folder.Out("probe-two-ranks")], Limit);
        Assert.NotEqual(0, exit);
        Assert.Equal("", output);
        var ours = error.Split('\n').Where(l => l.StartsWith("error: ")).ToArray();
        Assert.True(ours.Length == 1, error);
        Assert.Contains("'probe' does not run under mpiexec with several processes (supported: demo, eval, info, pretrain, train)", ours[0]);
        Assert.False(Directory.Exists(folder.Out("probe-two-ranks")));
    }

    [MpiFact]
    public void DemoOnTwoRanksWritesTheOneProcessTables()
    {
        // the quick demo on the shipped model: every phase, the pool encoded in shares, each training step data-parallel
        string alone = folder.Out("demo-alone"), shared = folder.Out("demo-two-ranks");
        var one = MpiExec.RunAlone(Tool, ["demo", "--quick", "--out", alone], DemoLimit);
        var two = MpiExec.Run(2, Tool, ["demo", "--quick", "--out", shared], DemoLimit);
        Assert.True(one.Exit == 0, one.Error);
        Assert.True(two.Exit == 0, two.Error);
        Assert.Single(two.Error.Split('\n'), l => l.StartsWith("demo: ") && l.Contains("work shared by 2 processes"));
        Assert.Equal(1, Count(two.Out, "report.md"));

        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(alone, "report.json")))!;
        var actual = JsonNode.Parse(File.ReadAllText(Path.Combine(shared, "report.json")))!;
        // the baselines' rows and the unpruned reference are deterministic and the sharded scoring exact: the same scores
        Assert.True(JsonNode.DeepEquals(expected["table1"]!["upperBound"]!["scores"], actual["table1"]!["upperBound"]!["scores"]));
        var (rowsOne, rowsTwo) = (Rows(expected), Rows(actual));
        Assert.Equal(rowsOne.Keys.Order(), rowsTwo.Keys.Order());
        foreach (var (key, row) in rowsOne.Where(r => !r.Key.StartsWith("DiffPrune")))
            Assert.True(JsonNode.DeepEquals(row["scores"], rowsTwo[key]["scores"]), $"{key}: the scores differ on two ranks");
        // the trained pruners agree to float rounding (the ranks' gradient sums run in another order): their validation losses
        var (runsOne, runsTwo) = (expected["training"]!.AsArray(), actual["training"]!.AsArray());
        Assert.Equal(runsOne.Count, runsTwo.Count);
        foreach (var (a, b) in runsOne.Zip(runsTwo))
            foreach (var (va, vb) in a!["validations"]!.AsArray().Zip(b!["validations"]!.AsArray()))
                foreach (var field in new[] { "SoftLoss", "HardLoss" })
                {
                    double x = va![field]!.GetValue<double>(), y = vb![field]!.GetValue<double>();
                    Assert.True(Math.Abs(x - y) <= 1e-4 * Math.Abs(x), $"{a["variant"]} {field}: one process {x:R}, two ranks {y:R}");
                }
        Assert.Equal(Directory.GetFiles(alone).Select(Path.GetFileName).Order(), Directory.GetFiles(shared).Select(Path.GetFileName).Order());
    }

    /// <summary>Table 1's rows by method and budget.</summary>
    static Dictionary<string, JsonNode> Rows(JsonNode report) =>
        report["table1"]!["blocks"]!.AsArray().SelectMany(b => b!["rows"]!.AsArray())
            .ToDictionary(r => $"{r!["method"]} K={r["keep"]}", r => r!);

    /// <summary>The report without its wall times (the one thing a second run may change).</summary>
    static JsonNode WithoutTimes(string json)
    {
        var node = JsonNode.Parse(json)!;
        Strip(node);
        return node;
    }

    static void Strip(JsonNode? node)
    {
        if (node is JsonObject o)
        {
            o.Remove("seconds");
            foreach (var (_, child) in o.ToArray()) Strip(child);
        }
        else if (node is JsonArray a)
            foreach (var child in a) Strip(child);
    }

    static int Count(string text, string fragment) => (text.Length - text.Replace(fragment, "").Length) / fragment.Length;
}
