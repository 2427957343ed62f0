using System.Diagnostics;
using System.Text.Json.Nodes;
using DiffPrune.Data.Images;
using DiffPrune.Tensors;
using DiffPrune.Tensors.IO;

namespace DiffPrune.Cli.Tests;

/// <summary>
/// Inputs a hostile or careless user gives: each fails with one line naming the file or option and the exit code of its
/// class (README, "Exit codes"), never a stack trace, a hang or a memory blow-up.
/// </summary>
public sealed class HostileInputTests(ModelFolderFixture folder) : IClassFixture<ModelFolderFixture>
{
    string Scratch(string name)
    {
        var dir = folder.Out("hostile-" + name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    (string Model, string Tokenizer) Llama2c(string name, int? vocabField = null, float? poison = null, int? tokenizerVocab = null, string? extra = null)
    {
        var dir = Scratch(name);
        string model = Path.Combine(dir, "model.bin"), tokenizer = Path.Combine(dir, "tokenizer.bin");
        Llama2cFiles.WriteModel(model, vocabField, poison);
        Llama2cFiles.WriteTokenizer(tokenizer, tokenizerVocab ?? Llama2cFiles.Shape.VocabSize, extra);
        return (model, tokenizer);
    }

    [Fact]
    public void TheTinyLlama2cModelGeneratesSoTheFailuresBelowAreTheirOwn()
    {
        var (model, _) = Llama2c("ok");
        var (exit, output, _) = Cli.Run("generate", "--model", model, "--prompt", "ab", "--steps", "8");
        Assert.Equal(0, exit);
        Assert.NotEqual("", output.Trim());
    }

    [Fact]
    public void BadOptionValuesAreUsageErrors()
    {
        var (model, _) = Llama2c("usage");
        Cli.Fails(CliErrors.Usage, ["generate", "--model", model, "--temperature", "NaN"], "--temperature", "NaN");
        Cli.Fails(CliErrors.Usage, ["generate", "--model", model, "--steps", "0"], "--steps");
        Cli.Fails(CliErrors.Usage, ["generate", "--model", model, "--steps", "1000"], "--steps 1000", "256 positions");
        Cli.Fails(CliErrors.Usage, ["generate", "--model", model, "--top-k", "-3"], "--top-k");
        Assert.Equal(CliErrors.Usage, Cli.Run("generate", "--model", model, "--no-such-option").Exit);
    }

    [Fact]
    public void FoldersPipesAndCraftedLlama2cFilesAreBadInput()
    {
        var (model, tokenizer) = Llama2c("input");
        var dir = Scratch("input-dir");
        Cli.Fails(CliErrors.BadInput, ["generate", "--model", dir], dir, "is a folder");
        Cli.Fails(CliErrors.BadInput, ["generate", "--model", model, "--tokenizer", dir], dir, "is a folder", "tokenizer");
        Cli.Fails(CliErrors.BadInput, ["generate", "--model", Path.Combine(dir, "absent.bin")], "absent.bin", "does not exist");
        var (minValue, _) = Llama2c("minvalue", vocabField: int.MinValue);
        Cli.Fails(CliErrors.BadInput, ["generate", "--model", minValue], minValue, "vocab_size");
        var (_, smallTokenizer) = Llama2c("small-vocab", tokenizerVocab: 40);
        Cli.Fails(CliErrors.BadInput, ["generate", "--model", model, "--tokenizer", smallTokenizer], smallTokenizer, "cannot hold");
        var (nan, _) = Llama2c("nan", poison: float.NaN);
        Cli.Fails(CliErrors.BadInput, ["generate", "--model", nan], nan, "model.norm.weight", "NaN");
        var (inf, _) = Llama2c("inf", poison: float.PositiveInfinity);
        Cli.Fails(CliErrors.BadInput, ["generate", "--model", inf], "model.norm.weight", "Infinity");
        Assert.True(File.Exists(tokenizer));
    }

    [Fact]
    public void AByteTokenThatIsNotHexIsTextNotACrash()
    {
        var (model, tokenizer) = Llama2c("zz", extra: "<0xZZ>");
        Assert.Equal(0, Cli.Run("generate", "--model", model, "--tokenizer", tokenizer, "--prompt", "<0xZZ>", "--steps", "4").Exit);
    }

    [Fact]
    public void AFifoGivenAsModelOrImageIsRefusedWithoutBlocking()
    {
        if (OperatingSystem.IsWindows()) return;
        var dir = Scratch("fifo");
        string fifo = Path.Combine(dir, "pipe");
        using (var mkfifo = Process.Start("mkfifo", fifo)) mkfifo.WaitForExit();
        Cli.Fails(CliErrors.BadInput, ["generate", "--model", fifo], fifo, "not a regular file");
        Cli.Fails(CliErrors.BadInput, ["prune", "--model", folder.Model, "--method", "random", "--image", fifo, "--question", "q", "--out", Scratch("fifo-out")],
            fifo, "not a regular file");
    }

    [Fact]
    public void APromptLongerThanTheModelsPositionsIsAResourceLimit()
    {
        var (model, _) = Llama2c("prompt");
        Cli.Fails(CliErrors.ResourceLimit, ["generate", "--model", model, "--prompt", new string('a', 400), "--steps", "16"], "--prompt", "256 positions");
        // a 40 KB question to the VLM: refused before the image is encoded
        Cli.Fails(CliErrors.ResourceLimit, ["prune", "--model", folder.Model, "--method", "random", "--image", folder.Image, "--question", string.Concat(Enumerable.Repeat("what ", 8000)),
            "--out", Scratch("long-question")], "the question is", "max_position_embeddings", "shorten the question");
    }

    [Fact]
    public void AModelLargerThanTheMachineIsRefusedBeforeItIsBuilt()
    {
        // a sparse file as long as its header claims: the size check passes, and only the memory estimate stands in the way
        var dir = Scratch("huge");
        string path = Path.Combine(dir, "huge.bin");
        int dim = 8192, layers = (int)Math.Min(4096, MemoryBudget.AvailableBytes / (4L * 12 * dim * dim) * 2 + 2);
        var shape = Llama2cFiles.Shape with { HiddenSize = dim, IntermediateSize = dim, NumLayers = layers, NumHeads = 64, NumKvHeads = 64, VocabSize = 512 };
        using (var w = new BinaryWriter(File.Create(path)))
        {
            foreach (int f in new[] { dim, dim, layers, 64, 64, 512, 16 }) w.Write(f);
            w.BaseStream.SetLength(28 + 4 * shape.ParameterCount());
        }
        Cli.Fails(CliErrors.ResourceLimit, ["generate", "--model", path], path, "memory");
    }

    string ModelWithConfig(string name, Action<JsonObject> edit)
    {
        var dir = Scratch(name);
        foreach (var f in Directory.GetFiles(folder.Model)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)), overwrite: true);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!.AsObject();
        edit(config);
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        return dir;
    }

    [Fact]
    public void ConfigsThatWouldBuildAHugeOrInvalidModelAreBadInput()
    {
        string Eval(string model) => Scratch("eval-" + Path.GetFileName(model));
        foreach (var (name, edit, fragment) in new (string, Action<JsonObject>, string)[]
        {
            ("no-text", c => c.Remove("text_config"), "text_config is missing"),
            ("null-text", c => c["text_config"] = null, "text_config is missing or null"),
            ("array-text", c => c["text_config"] = new JsonArray(), "text_config is not an object"),
            ("string-vision", c => c["vision_config"] = "clip", "vision_config is not an object"),
            ("layers", c => c["text_config"]!["num_hidden_layers"] = 1_000_000, "describes"),
            ("overflow", c => c["text_config"]!["hidden_size"] = int.MaxValue - 1, "config.json"),
            ("eps", c => c["text_config"]!["rms_norm_eps"] = -1, "rms_norm_eps"),
            ("theta", c => c["text_config"]!["rope_theta"] = 0, "rope_theta"),
            ("vision-eps", c => c["vision_config"]!["layer_norm_eps"] = 0, "layer_norm_eps"),
            ("layers-text", c => c["text_config"]!["num_hidden_layers"] = "many", "config.json"),
        })
        {
            var model = ModelWithConfig(name, edit);
            Cli.Fails(CliErrors.BadInput, ["eval", "--model", model, "--scenes", "1", "--out", Eval(model)], fragment);
        }
    }

    [Fact]
    public void NonFiniteWeightsInAModelFolderNameTheTensor()
    {
        var model = ModelWithConfig("nan-weights", _ => { });
        var path = Path.Combine(model, "model.safetensors");
        var state = SafeTensors.Load(path);
        state["multi_modal_projector.linear_1.bias"].Data[3] = float.NaN;
        SafeTensors.Save(path, state);
        Cli.Fails(CliErrors.BadInput, ["eval", "--model", model, "--scenes", "1", "--out", Scratch("nan-eval")], "multi_modal_projector.linear_1.bias", "NaN");
    }

    [Fact]
    public void PrunerJsonIsStrict()
    {
        var pruner = Scratch("pruner");
        new DiffPrune.Pruning.TokenPruner(new DiffPrune.Pruning.TokenScorer(16, new Generator(1), heads: 2), new DiffPrune.Pruning.TokenPrunerConfig(16, 2, 2, 4)).Save(pruner);
        var json = Path.Combine(pruner, "pruner.json");
        string[] Eval() => ["eval", "--model", folder.Model, "--pruner", pruner, "--scenes", "1", "--methods", "random", "--out", Scratch("pruner-eval")];
        File.WriteAllText(json, """{ "VisionWidth": 16, "Heads": 2, "Layers": 2, "Keep": 4, "Treshold": 0.5 }""");
        Cli.Fails(CliErrors.BadInput, Eval(), "Treshold");
        File.WriteAllText(json, """{ "VisionWidth": 16, "Heads": 2, "Layers": 1000000, "Keep": 4 }""");
        Cli.Fails(CliErrors.BadInput, Eval(), "Layers 1000000");
        File.WriteAllText(json, """{ "VisionWidth": 16, "Heads": 2, "Layers": 3, "Keep": 4 }""");
        Cli.Fails(CliErrors.BadInput, Eval(), "missing tensor 'blocks.2");
        File.WriteAllText(json, """{ "VisionWidth": 16, "Heads": 2, "Layers": 1024, "Keep": 4 }""");
        Cli.Fails(CliErrors.BadInput, Eval(), "1024 layers", "different pruners");
        File.WriteAllText(json, """{ "VisionWidth": 16, "Heads": 2, "Keep": 4 }""");
        Cli.Fails(CliErrors.BadInput, Eval(), "Layers");
    }

    [Fact]
    public void CountsAboveTheirCapsAndHugeImagesAreResourceLimits()
    {
        Cli.Fails(CliErrors.ResourceLimit, ["eval", "--model", folder.Model, "--scenes", "1000000", "--out", Scratch("scenes")], "--scenes 1000000", "20,000");
        Cli.Fails(CliErrors.ResourceLimit, ["eval", "--model", folder.Model, "--batch", "100000", "--out", Scratch("batch")], "--batch 100000");
        Cli.Fails(CliErrors.ResourceLimit, ["profile", "--model", folder.Model, "--llava-layers", "1000000", "--out", Scratch("llava")], "--llava-layers 1000000", "--no-llava");
        Cli.Fails(CliErrors.ResourceLimit, ["profile", "--model", folder.Model, "--widths", "qwen25vl", "--llava-layers", "1000000", "--out", Scratch("qwen")],
            "Qwen2.5-VL-7B width", "fewer --widths");
        Cli.Fails(CliErrors.Usage, ["profile", "--model", folder.Model, "--widths", "llava15,gpt", "--out", Scratch("widths")], "unknown width 'gpt'", "llava-next");
        Cli.Fails(CliErrors.Usage, ["profile", "--model", folder.Model, "--widths", "qwen25vl", "--llava-vision-layers", "33", "--out", Scratch("blocks")], "32 vision blocks");
        // a few hundred bytes that declare 16384 × 16384 pixels
        string png = Path.Combine(Scratch("png"), "huge.png");
        File.WriteAllBytes(png, HugePng.Build(16384, 16384));
        Cli.Fails(CliErrors.ResourceLimit, ["prune", "--model", folder.Model, "--method", "random", "--image", png, "--question", "q", "--out", Scratch("png-out")],
            png, "16384x16384", "scale the image down");
    }

    [Fact]
    public void UnwritableOutputIsAnIoErrorBeforeAnyWork()
    {
        var file = Path.Combine(Scratch("out-file"), "taken");
        File.WriteAllText(file, "x");
        Cli.Fails(CliErrors.IoFailure, ["eval", "--model", folder.Model, "--scenes", "1", "--out", file], file, "is a file");
        // /proc refuses new folders even to root
        Cli.Fails(CliErrors.IoFailure, ["eval", "--model", folder.Model, "--scenes", "1", "--out", "/proc/diffprune-out"], "/proc/diffprune-out");
    }

    [Fact]
    public void ASecondRunOnTheSameFolderIsRefusedNamingTheFirstOnesPid()
    {
        var out_ = Scratch("locked");
        using (RunFolderLock.Acquire(out_))
            Cli.Fails(CliErrors.IoFailure, ["eval", "--model", folder.Model, "--scenes", "1", "--out", out_], out_, $"PID {Environment.ProcessId}");
        Assert.False(File.Exists(Path.Combine(out_, RunFolderLock.FileName)));
    }

    [Fact]
    public void ScenesLocksItsFolderAndASymlinkAtAReportIsReplacedNotFollowed()
    {
        var locked = Scratch("scenes-locked");
        using (RunFolderLock.Acquire(locked))
            Cli.Fails(CliErrors.IoFailure, ["scenes", "--sample", "--count", "1", "--out", locked], locked, $"PID {Environment.ProcessId}");
        foreach (var (name, args, report) in new (string, string[], string)[]
        {
            ("sample", ["scenes", "--sample", "--count", "1"], "scenes.md"),
            ("calibrate", ["scenes", "--calibrate", "--scenes", "1", "--methods", "random", "--model", folder.Model], "calibration.md"),
        })
        {
            var out_ = Scratch("symlink-" + name);
            var precious = Path.Combine(Scratch("symlink-target-" + name), "precious.txt");
            File.WriteAllText(precious, "keep me");
            File.CreateSymbolicLink(Path.Combine(out_, report), precious);
            var (exit, _, error) = Cli.Run([.. args, "--out", out_]);
            Assert.True(exit == 0, error);
            Assert.Equal("keep me", File.ReadAllText(precious));
            Assert.Null(new FileInfo(Path.Combine(out_, report)).LinkTarget);
        }
    }

    /// <summary>The engine reads its settings once per process, so each bad value runs the tool in a process of its own.</summary>
    [Theory]
    [InlineData("DIFFPRUNE_THREADS", "abc", "1..1024")]
    [InlineData("DIFFPRUNE_THREADS", "-1", "1..1024")]
    [InlineData("DIFFPRUNE_THREADS", "1e9", "1..1024")]
    [InlineData("DIFFPRUNE_THREADS", "1000000000", "1..1024")]
    [InlineData("DIFFPRUNE_BLAS", "bogus", "'managed' or 'openblas'")]
    public void ABadEngineSettingIsAUsageErrorNamingTheVariable(string variable, string value, string accepted)
    {
        var (exit, output, error) = DiffPrune.Testing.MpiExec.RunAlone(Path.Combine(AppContext.BaseDirectory, "diffprune.dll"),
            ["generate", "--model", Llama2c("setting-" + variable + value).Model, "--steps", "2"], TimeSpan.FromMinutes(2),
            new Dictionary<string, string> { [variable] = value, [variable == "DIFFPRUNE_BLAS" ? "DIFFPRUNE_THREADS" : "DIFFPRUNE_BLAS"] = "" });
        Assert.Equal(CliErrors.Usage, exit);
        Assert.Equal("", output);
        var line = Assert.Single(error.TrimEnd('\n').Split('\n'));
        Assert.StartsWith($"error: {variable}='{value}'", line);
        Assert.Contains(accepted, line);
    }

    [Fact]
    public void ATrainingRunWhoseLossTurnsNonFiniteStopsWithAUsageErrorAndItsCheckpoint()
    {
        var out_ = Scratch("diverged");
        var (exit, _, error) = Cli.Run("train", "--model", folder.Model, "--out", out_, "--steps", "4", "--keep", "16", "--feature-pool", "0", "--batch-size", "2",
            "--validation-scenes", "2", "--eval-every", "4", "--checkpoint-every", "1", "--lr", "1e30");
        Assert.Equal(CliErrors.Usage, exit);
        var line = Assert.Single(error.TrimEnd('\n').Split('\n'), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains("non-finite", line);
        Assert.Contains("learning rate", line);
        Assert.DoesNotContain("   at ", error);
        Assert.True(File.Exists(Path.Combine(out_, "checkpoint.safetensors")));
    }

    [Fact]
    public void ExitCodesFollowTheClassOfTheFailure()
    {
        Assert.Equal(CliErrors.IoFailure, CliErrors.Classify(new UnauthorizedAccessException("denied")));
        Assert.Equal(CliErrors.IoFailure, CliErrors.Classify(new RunFolderLockedException("held")));
        Assert.Equal(CliErrors.BadInput, CliErrors.Classify(new InvalidDataException("bad")));
        Assert.Equal(CliErrors.BadInput, CliErrors.Classify(new FileNotFoundException("gone")));
        Assert.Equal(CliErrors.ResourceLimit, CliErrors.Classify(new ResourceLimitException("big")));
        Assert.Equal(CliErrors.ResourceLimit, CliErrors.Classify(new OutOfMemoryException()));
        Assert.Equal(CliErrors.Usage, CliErrors.Classify(Caught(() => throw new ArgumentException("--steps"))));
        Assert.Equal(CliErrors.Usage, CliErrors.Classify(new DiffPrune.Training.TrainingDivergedException("step 3: NaN")));
        Assert.Equal(CliErrors.Usage, CliErrors.Classify(new TypeInitializationException("DiffPrune.Tensors.ThreadBudget", new EnvironmentSettingException("DIFFPRUNE_THREADS"))));
        Assert.Equal(CliErrors.InternalError, CliErrors.Classify(new InvalidOperationException("invariant")));
        Assert.Equal(CliErrors.InternalError, CliErrors.Classify(new NullReferenceException()));
        // the engine's own argument checks guard this code base's calls: failing one is a bug
        Assert.Equal(CliErrors.InternalError, CliErrors.Classify(Caught(() => Tensor.Zeros(2, 3).Reshape(7))));
    }

    [Fact]
    public void AFileThatMayNotBeReadIsAnIoErrorThatSaysWhatToDo()
    {
        // root reads every file, so the refusal the system gives a user is thrown here as the runtime throws it
        var stderr = Console.Error;
        using var error = new StringWriter();
        Console.SetError(error);
        try
        {
            Assert.Equal(CliErrors.IoFailure, CliErrors.Run(() => throw new UnauthorizedAccessException("Access to the path '/m/config.json' is denied.")));
        }
        finally
        {
            Console.SetError(stderr);
        }
        Assert.Equal("error: Access to the path '/m/config.json' is denied. Fix its permissions, or give a path you may read and write.\n", error.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public void AnInternalErrorPrintsItsStackTrace()
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        using var error = new StringWriter();
        Console.SetError(error);
        try
        {
            Assert.Equal(CliErrors.InternalError, CliErrors.Run(() => throw new InvalidOperationException("a broken invariant")));
        }
        finally
        {
            Console.SetError(stderr);
        }
        Assert.Contains("internal error", error.ToString());
        Assert.Contains("a broken invariant", error.ToString());
        Assert.Contains("   at ", error.ToString());
        Assert.Same(stdout, Console.Out);
    }

    static Exception Caught(Action action)
    {
        try { action(); }
        catch (Exception e) { return e; }
        throw new InvalidOperationException("expected an exception");
    }
}
