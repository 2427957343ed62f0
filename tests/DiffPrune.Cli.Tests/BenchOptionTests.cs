using System.CommandLine;
using DiffPrune.Data.Scenes;
using DiffPrune.Models.Loaders;

namespace DiffPrune.Cli.Tests;

/// <summary>--bench on every command that makes or reads scenes: parsing, what reports record, and the model folder's record.</summary>
public class BenchOptionTests(ModelFolderFixture folder) : IClassFixture<ModelFolderFixture>
{
    [Fact]
    public void AnUnknownBenchIsOneLineOnEveryCommand()
    {
        string[][] commands =
        [
            ["scenes", "--sample", "--out", folder.Out("bad-scenes")],
            ["scenes", "--calibrate", "--model", folder.Model, "--out", folder.Out("bad-calibrate")],
            ["pretrain", "--out", folder.Out("bad-pretrain")],
            ["train", "--model", folder.Model, "--out", folder.Out("bad-train")],
            ["eval", "--model", folder.Model, "--out", folder.Out("bad-eval")],
            ["profile", "--model", folder.Model, "--no-llava", "--out", folder.Out("bad-profile")],
            ["prune", "--model", folder.Model, "--method", "random", "--image", folder.Image, "--question", "q", "--out", folder.Out("bad-prune")],
            ["demo", "--model", folder.Model, "--quick", "--out", folder.Out("bad-demo")],
        ];
        foreach (var args in commands)
        {
            Cli.Fails(CliErrors.Usage, [.. args, "--bench", "busy"], "--bench 'busy'", "classic or dense");
            Assert.False(Directory.Exists(args[Array.IndexOf(args, "--out") + 1]), $"{args[0]} wrote output before refusing --bench");
        }
    }

    [Fact]
    public void EvalOnDenseScenesRecordsTheBenchAndWarnsAboutAClassicModel()
    {
        var dir = folder.Out("eval-dense");
        var (exit, output, error) = Cli.Run("eval", "--model", folder.Model, "--methods", "random", "--budgets", "1/9", "--scenes", "1", "--out", dir, "--bench", "dense");
        Assert.True(exit == 0, error);
        Assert.Contains("1 SceneBench test scenes (dense configuration)", output);
        Assert.Contains("\"bench\": \"dense\"", File.ReadAllText(Path.Combine(dir, "report.json")));
        var warning = Assert.Single(error.Split('\n'), l => l.StartsWith("warning: ", StringComparison.Ordinal));
        Assert.Contains("pretrained on classic SceneBench scenes; --bench dense", warning);
    }

    [Fact]
    public void AModelFolderRecordsItsBenchAndTheOtherOneWarns()
    {
        var dense = folder.Out("dense-model");
        var (vlm, tokenizer) = ModelFolder.Load(folder.Model);
        HfCheckpoint.Save(vlm, dense, new Dictionary<string, string> { ["format"] = "pt", ["scene_bench"] = "dense" });
        tokenizer.Save(Path.Combine(dense, ModelFolder.TokenizerFile));
        string[] eval = ["eval", "--model", dense, "--methods", "random", "--budgets", "1/9", "--scenes", "1", "--out", folder.Out("eval-dense-model")];

        var (exit, output, error) = Cli.Run(eval);
        Assert.True(exit == 0, error);
        Assert.DoesNotContain("warning:", error);
        Assert.Contains("(dense configuration)", output);
        (exit, _, error) = Cli.Run([.. eval, "--bench", "classic"]);
        Assert.True(exit == 0, error);
        Assert.Contains("pretrained on dense SceneBench scenes; --bench classic", error);
    }

    [Theory]
    [InlineData(new string[0], "dense", "scenebench-vlm-dense")]
    [InlineData(new[] { "--bench", "classic" }, "classic", "scenebench-vlm")]
    [InlineData(new[] { "--bench", "dense" }, "dense", "scenebench-vlm-dense")]
    public void WithoutModelTheBenchPicksItsShippedModel(string[] args, string bench, string shipped)
    {
        var choice = new BaseModelChoice();
        var (model, configuration) = choice.Resolve(new RootCommand { choice.Model, choice.Bench }.Parse(args));
        Assert.Equal(bench, configuration.Name());
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "models", shipped), model.FullName);
        Assert.Equal($"SceneBench VLM (shipped, {bench})", ShippedModel.NameOf(model));
    }

    [Fact]
    public void AModelWithoutBenchRunsTheConfigurationItWasPretrainedOn()
    {
        var choice = new BaseModelChoice();
        var (model, configuration) = choice.Resolve(new RootCommand { choice.Model, choice.Bench }.Parse(["--model", folder.Model]));
        Assert.Equal(folder.Model, model.FullName);
        Assert.Equal("classic", configuration.Name());
        Assert.Equal(model.FullName, ShippedModel.NameOf(model));
    }

    [Fact]
    public void CalibrateReportsTheOracleAndTheSelectionsOnBothConfigurations()
    {
        var dir = folder.Out("calibrate");
        var (exit, output, error) = Cli.Run("scenes", "--calibrate", "--bench", "dense", "--scenes", "3", "--methods", "random,fastv", "--model", folder.Model, "--out", dir);
        Assert.True(exit == 0, error);
        Assert.Contains("| dense | 16 of 144 |", output);
        Assert.Contains("| classic | 8 of 144 |", output);
        Assert.Contains("| dense | FastV | 16 |", output);
        Assert.Contains("| classic | Random | 16 |", output);
        var json = File.ReadAllText(Path.Combine(dir, "calibration.json"));
        Assert.Contains("\"dense\"", json);
        Assert.Contains("\"classic\"", json);
    }
}
