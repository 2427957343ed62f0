using System.Text.Json;
using DiffPrune.Pruning;
using DiffPrune.Tensors;

namespace DiffPrune.Cli.Tests;

/// <summary>--budget-mode threshold in train, eval and prune on a tiny model, and its bad inputs' one-line messages.</summary>
public class ThresholdCommandTests(ModelFolderFixture folder) : IClassFixture<ModelFolderFixture>
{
    static void Fails(string[] args, params string[] fragments) => Cli.Fails(null, args, fragments);

    string Pruner(string name)
    {
        var dir = folder.Out(name);
        new TokenPruner(new TokenScorer(16, new Generator(2), heads: 2), new TokenPrunerConfig(16, 2, 2, 16)).Save(dir);
        return dir;
    }

    [Fact]
    public void BadBudgetModesAndThresholdModeWithoutAPrunerAreOneLineErrors()
    {
        var pruner = Pruner("bad-input-pruner");
        Fails(["eval", "--model", folder.Model, "--budget-mode", "foo"], "--budget-mode must be topk or threshold (got 'foo')");
        Fails(["train", "--model", folder.Model, "--budget-mode", "adaptive"], "--budget-mode must be topk or threshold (got 'adaptive')");
        Fails(["eval", "--model", folder.Model, "--methods", "random", "--budget-mode", "threshold"], "--budget-mode threshold needs a trained pruner", "--pruner DIR");
        Fails(["prune", "--model", folder.Model, "--method", "random", "--budget-mode", "threshold", "--image", folder.Image, "--question", "q"],
            "--budget-mode threshold needs a trained pruner", "--pruner DIR");
        Fails(["eval", "--model", folder.Model, "--pruner", pruner, "--budget-mode", "threshold", "--calibration-scenes", "0"], "--calibration-scenes must be at least 1 (got 0)");
        var json = Path.Combine(pruner, "pruner.json");
        File.WriteAllText(json, File.ReadAllText(json).Replace("\"Threshold\"", "\"Thresold\"", StringComparison.Ordinal));
        Fails(["eval", "--model", folder.Model, "--pruner", pruner, "--budget-mode", "threshold"], json, "Thresold");
    }

    [Fact]
    public void EvalPutsTheThresholdRowUnderTheTopKRowWithTheKKept()
    {
        var dir = folder.Out("eval-threshold");
        var (exit, output, error) = Cli.Run("eval", "--model", folder.Model, "--methods", "random", "--pruner", Pruner("eval-pruner"), "--budget-mode", "threshold",
            "--calibration-scenes", "4", "--budgets", "1/9", "--scenes", "1", "--out", dir);
        Assert.True(exit == 0, error);
        var lines = output.Split('\n');
        int topK = Array.FindIndex(lines, l => l.StartsWith("| DiffPrune |", StringComparison.Ordinal));
        Assert.True(topK > 0, output);
        Assert.StartsWith("| DiffPrune (threshold) |", lines[topK + 1]);
        Assert.Contains(" | 16.0 [16–16] | ", lines[topK]);                     // K kept, then the LLM FLOPs column
        Assert.EndsWith(" | LLM FLOPs |", lines.Single(l => l.StartsWith("| Method |", StringComparison.Ordinal)));
        Assert.Contains("K kept", lines.Single(l => l.StartsWith("| Method |", StringComparison.Ordinal)));
        Assert.Contains("calibrated on 4 validation images", output);
        Assert.Contains("DiffPrune (threshold) at K = 16: mean score", error);
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "report.json")));
        var row = report.RootElement.GetProperty("blocks")[0].GetProperty("rows")[2];
        Assert.Equal("DiffPrune (threshold)", row.GetProperty("method").GetString());
        Assert.Equal(16, row.GetProperty("threshold").GetProperty("meanKeep").GetInt32());
        Assert.True(row.GetProperty("kept").GetProperty("min").GetInt32() >= 1);
    }

    [Fact]
    public void PrunePrintsTheKThisImageKept()
    {
        var (exit, output, error) = Cli.Run("prune", "--model", folder.Model, "--pruner", Pruner("prune-pruner"), "--budget-mode", "threshold", "--calibration-scenes", "4",
            "--image", folder.Image, "--question", "what color is the circle?", "--runs", "1", "--out", folder.Out("prune-threshold"));
        Assert.True(exit == 0, error);
        Assert.Contains("calibrated now on 4 validation images to mean K = 16", error);
        var k = int.Parse(error.Split("this image keeps K = ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(k, 1, 144);
        Assert.Contains($"Method: DiffPrune (threshold) (Pre), keeping {k} of 144 visual tokens", output);
    }

    [Fact]
    public void TrainCalibratesTheBestPrunerAndWritesTheThresholdIntoPrunerJson()
    {
        var dir = folder.Out("train-threshold");
        var (exit, _, error) = Cli.Run("train", "--model", folder.Model, "--out", dir, "--steps", "1", "--keep", "16", "--feature-pool", "0", "--batch-size", "2",
            "--validation-scenes", "2", "--eval-every", "1", "--test-scenes", "1", "--budget-mode", "threshold", "--calibration-scenes", "4");
        Assert.True(exit == 0, error);
        var loaded = TokenPruner.Load(Path.Combine(dir, "pruner"));
        Assert.Equal((16, 4), (loaded.Config.Threshold!.MeanKeep, loaded.Config.Threshold.Images));
        Assert.Contains("calibrated on 4 validation scenes to mean K = 16: they keep 16.00", error);
    }
}
