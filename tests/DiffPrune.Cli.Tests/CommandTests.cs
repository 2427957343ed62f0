namespace DiffPrune.Cli.Tests;

/// <summary>eval, profile and prune end to end on a tiny model, and each bad input's one-line message and exit code.</summary>
public class CommandTests(ModelFolderFixture folder) : IClassFixture<ModelFolderFixture>
{
    static void Fails(string[] args, params string[] fragments) => Cli.Fails(null, args, fragments);

    [Fact]
    public void UnknownMethodNamesTheKnownOnes() =>
        Fails(["eval", "--model", folder.Model, "--methods", "fastv,nosuch"], "unknown method 'nosuch'", "VisionZip", "DiffPrune");

    [Fact]
    public void BudgetsOutsideZeroOneAreRefused()
    {
        Fails(["eval", "--model", folder.Model, "--budgets", "1/3,1.5"], "budget 1.5 is outside (0, 1)", "e.g. 1/9");
        Fails(["profile", "--model", folder.Model, "--budget", "0"], "outside (0, 1)");
        Fails(["prune", "--model", folder.Model, "--method", "random", "--image", folder.Image, "--question", "q", "--budget", "1"], "outside (0, 1)");
    }

    [Fact]
    public void MissingFoldersNameTheFolderAndTheFix()
    {
        var missing = folder.Out("no-such-folder");
        Fails(["eval", "--model", missing], missing, "diffprune pretrain");
        Fails(["eval", "--model", folder.Model, "--pruner", missing], missing, "diffprune train");
        Fails(["profile", "--model", folder.Model, "--pruner", folder.Root], "holds no pruner.json");
        Fails(["prune", "--model", folder.Model, "--pruner", missing, "--image", folder.Image, "--question", "q"], missing);
    }

    [Fact]
    public void ANonPngImageIsRefused() =>
        Fails(["prune", "--model", folder.Model, "--method", "random", "--image", folder.NotPng, "--question", "what color is it?"],
            folder.NotPng, "is not a PNG file: convert it");

    [Fact]
    public void PruneNeedsExactlyOneOfPrunerAndMethod() =>
        Fails(["prune", "--model", folder.Model, "--image", folder.Image, "--question", "q"], "--pruner DIR", "--method NAME");

    [Fact]
    public void EvalWritesTable1AsMarkdownJsonAndCsv()
    {
        var dir = folder.Out("eval");
        var (exit, output, error) = Cli.Run("eval", "--model", folder.Model, "--methods", "random,fastv", "--budgets", "1/9", "--scenes", "1", "--out", dir);
        Assert.True(exit == 0, error);
        Assert.Contains("| *Retain 16 Tokens (88.9 % pruning)* |", output);
        Assert.Contains("| FastV | L1–L2 |", output);
        Assert.All(["report.md", "report.json", "table.csv"], f => Assert.True(File.Exists(Path.Combine(dir, f)), f));
        Assert.Equal(4, File.ReadAllLines(Path.Combine(dir, "table.csv")).Length); // header, Vanilla, Random, FastV
        // no pruner given: each row is paired with the best method at its budget, and the report says so
        Assert.Contains("| Avg. | 95 % CI | Δ vs best [95 % CI] |", output);
        Assert.Contains("no DiffPrune pruner in this evaluation", output);
        Assert.Contains("## Paired comparisons", output);
    }

    [Fact]
    public void ProfileReportsTable4AndThePrefillSpeedupNextToTheFlopsRatio()
    {
        var dir = folder.Out("profile");
        var (exit, output, error) = Cli.Run("profile", "--model", folder.Model, "--methods", "random,pyramiddrop", "--no-llava", "--runs", "2", "--warmup", "1", "--out", dir);
        Assert.True(exit == 0, error);
        Assert.Contains("| Method | Loc. | K | FLOPs (G) | Enc. | Pruner | Prefill | TTFT | Speedup |", output);
        Assert.Contains("| PyramidDrop | L1 | 16 |", output);
        Assert.Contains("At 88.9 % pruning (K = 16 of 144), DiffPrune (untrained scorer)'s measured prefill speedup is", File.ReadAllText(Path.Combine(dir, "report.md")));
        Assert.True(File.Exists(Path.Combine(dir, "report.json")));
    }

    [Fact]
    public void PruneAnswersBothWaysAndDrawsTheTokens()
    {
        var dir = folder.Out("prune");
        var (exit, output, error) = Cli.Run("prune", "--model", folder.Model, "--method", "fastv", "--image", folder.Image, "--question", "what color is the circle?", "--runs", "2", "--out", dir);
        Assert.True(exit == 0, error);
        Assert.Contains("| unpruned |", output);
        Assert.Contains("| FastV |", output);
        Assert.All(["tokens.png", "similarity.png", "report.md", "report.json"], f => Assert.True(File.Exists(Path.Combine(dir, f)), f));
    }

    [Fact]
    public void QuickDemoWritesTheThreeTablesAndTheFiguresAndNamesTheReport()
    {
        var dir = folder.Out("demo");
        var (exit, output, error) = Cli.Run("demo", "--quick", "--model", folder.Model, "--out", dir);
        Assert.True(exit == 0, error);
        var report = Path.Combine(dir, "report.md");
        Assert.Equal(report, output.Trim());
        var md = File.ReadAllText(report);
        Assert.Contains("## SceneBench evaluation (paper Table 1)", md);
        Assert.Contains("## Component ablation (paper Table 5), K = 16 of 144", md);
        Assert.Contains("| Global-attention Denoiser | diagonal |", md);
        Assert.Contains("measured prefill speedup", md);
        Assert.Contains("| DiffPrune (trained K = 16) | Pre |", md);
        // the tiny random model answers nothing right, so there is no retention to draw; the shipped model's demo draws it (.ci/run)
        Assert.Contains("No retention figure: the unpruned model scores 0 on every suite", md);
        Assert.All(["report.json", "ablation.png", "figure5/tokens.png", "figure5/similarity.png", "train/vpnoise-diagonal-k16/pruner/pruner.json"],
            f => Assert.True(File.Exists(Path.Combine(dir, f)), f));
    }

    [Fact]
    public void DemoWithoutTheShippedModelNamesTheFolderAndTheFix()
    {
        var missing = folder.Out("no-model");
        Fails(["demo", "--quick", "--model", missing], missing, "diffprune pretrain");
        Fails(["demo", "--quick", "--model", folder.Model, "--budgets", "2"], "outside (0, 1)");
        Fails(["demo", "--quick", "--model", folder.Model, "--steps", "0"], "demo options", "TrainSteps = 0");
    }

    [Fact]
    public void EveryTrainingOptionReachesItsOptionsRecord()
    {
        Fails(["probe", "--quick", "--seeds", "0"], "probe options", "seeds 0");
        Fails(["probe", "--quick", "--scorer-max-grad-norm", "0"], "probe options, scorer", "MaxGradNorm = 0");
        Fails(["probe", "--quick", "--classifier-final-lr-fraction", "2"], "probe options, classifier", "FinalLearningRateFraction = 2");
        Fails(["probe", "--encoders", "tiny:32:2"], "--encoders", "'tiny:32:2'", "name:width:depth:heads");
        Fails(["pretrain", "--out", folder.Out("pretrain-options"), "--max-grad-norm", "0"], "pretrain options", "MaxGradNorm = 0");
        Fails(["train", "--model", folder.Model, "--out", folder.Out("train-options"), "--max-bad-steps", "0"], "pruner training options", "MaxBadSteps = 0");
        Fails(["train", "--model", folder.Model, "--out", folder.Out("train-options"), "--checkpoint-every", "0"], "pruner training options", "CheckpointEvery = 0");
        Fails(["demo", "--quick", "--model", folder.Model, "--profile-runs", "0"], "demo options", "ProfileRuns = 0");
        var (exit, help, _) = Cli.Run("train", "--help");
        Assert.Equal(0, exit);
        foreach (var option in new[] { "--weight-decay", "--warmup", "--final-lr-fraction", "--max-grad-norm", "--standardizer-scenes", "--checkpoint-every" })
            Assert.Contains(option, help);
        Assert.Contains("(default 0.0002)", help);   // --lr shows the record's default
    }
}
