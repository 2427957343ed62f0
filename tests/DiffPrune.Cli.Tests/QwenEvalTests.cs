using System.Text.RegularExpressions;
using DiffPrune.Training.Pretraining;
using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Eval;
using DiffPrune.Eval.Reports;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Tensors;

namespace DiffPrune.Cli.Tests;

/// <summary><c>eval --model</c> on a Qwen2.5-VL folder (as HfCheckpoint saves one, with the word tokenizer): variable-size
/// scenes, each image at its own N and K_i = round(rate × N_i).</summary>
public sealed class QwenEvalTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("diffprune-qwen-eval-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>A tiny random Qwen2.5-VL whose 4 px patches merged 2 × 2 divide every variable scene side; the tokenizer's last
    /// two words stand for vision start and end.</summary>
    string QwenFolder()
    {
        var tokenizer = WordTokenizer.ForSceneBench();
        var config = new Qwen25VlConfig
        {
            Vision = new Qwen25VisionConfig { Depth = 2, HiddenSize = 16, NumHeads = 2, IntermediateSize = 24, OutHiddenSize = 16, PatchSize = 4, WindowSize = 32, FullAttentionBlocks = [1] },
            Text = new LlamaConfig
            {
                VocabSize = tokenizer.VocabSize, HiddenSize = 16, IntermediateSize = 24, NumLayers = 2, NumHeads = 2, NumKvHeads = 1, TieWordEmbeddings = false,
                AttentionBias = true, MropeSection = [1, 1, 2],
            },
            ImageTokenId = WordTokenizer.ImageId,
            VisionStartTokenId = tokenizer.VocabSize - 2,
            VisionEndTokenId = tokenizer.VocabSize - 1,
        };
        string dir = Path.Combine(_root, "qwen");
        HfCheckpoint.Save(new Qwen25VlModel(config, new Generator(1)), dir);
        tokenizer.Save(Path.Combine(dir, ModelFolder.TokenizerFile));
        return dir;
    }

    [Fact]
    public void EvalRunsAQwenFolderOnVariableSizeScenesAtARate()
    {
        string model = QwenFolder(), dir = Path.Combine(_root, "eval");
        var (exit, output, error) = Cli.Run("eval", "--model", model, "--methods", "random,divprune,fastv", "--budgets", "1/3", "--scenes", "2", "--batch", "2", "--out", dir);
        Assert.True(exit == 0, error);
        var (vlm, _) = ModelFolder.LoadAny(model);
        var scenes = new SceneBench(SceneVlm.Scenes(SceneBenchConfiguration.Classic, vlm)).Split(SceneSplit.Test, 2).ToArray();
        Assert.NotEqual(scenes[0].Scene.Image.Width * scenes[0].Scene.Image.Height, scenes[1].Scene.Image.Width * scenes[1].Scene.Image.Height);
        int n = (int)Math.Round(scenes.Average(e => vlm.TokenCount(e.Scene.Image)), MidpointRounding.AwayFromZero), k = TokenBudget.FromFraction(1.0 / 3, n);
        Assert.StartsWith("# SceneBench evaluation of a Qwen2.5-VL-style model (paper Table 3)", output);
        Assert.Contains($"| *Pruning Rate = 66.7 % (mean K {k} of {n})* |", output);
        var images = scenes.SelectMany(e => e.Items.Select(q => q.Image ?? e.Scene.Image)).Distinct(ReferenceEqualityComparer.Instance).Cast<RgbImage>();
        var kept = KeptTokenStats.Of(images.Select(i => TokenBudget.FromRate(1.0 / 3, vlm.TokenCount(i))));
        Assert.Contains("every image keeping K_i = round(rate × N_i)", output);
        Assert.Matches($@"\| DivPrune \| Pre \|[^\n]*\| {Regex.Escape(EvaluationReport.KeptCell(kept))} \|", output);
        Assert.Matches(@"\| FastV \| L1–L2 \|", output); // an in-LLM stage at a rate: each batch of images of one N keeps its K_i
        Assert.Equal(5, File.ReadAllLines(Path.Combine(dir, "table.csv")).Length); // header, Vanilla, Random, DivPrune, FastV
    }

    [Fact]
    public void TrainGivesEachImageItsShareOfItsOwnTokensAndWantsARate()
    {
        string model = QwenFolder(), dir = Path.Combine(_root, "train");
        var (exit, output, error) = Cli.Run("train", "--model", model, "--keep-rate", "1/4", "--steps", "2", "--batch-size", "2", "--feature-pool", "3",
            "--standardizer-scenes", "2", "--validation-scenes", "2", "--eval-every", "2", "--test-scenes", "1", "--out", dir);
        Assert.True(exit == 0, error);
        Assert.Contains("K_i = round(0.25 × N_i)", error);
        Assert.Matches(@"VpNoise rate 0\.25 +average", output);
        Assert.Equal(0.25, DiffPrune.Pruning.TokenPruner.Load(Path.Combine(dir, "pruner")).Config.KeepRate); // eval matches it by rate
        Cli.Fails(null, ["train", "--model", model, "--steps", "1", "--out", Path.Combine(_root, "norate")], "--keep-rate");
        Cli.Fails(null, ["train", "--model", model, "--keep-rate", "9/4", "--steps", "1", "--out", Path.Combine(_root, "badrate")], "outside (0, 1)");
    }

    [Fact]
    public void MethodsThatCannotRunOnItAreRefusedByName() =>
        Cli.Fails(null, ["eval", "--model", QwenFolder(), "--methods", "random,uniform,prunesid", "--scenes", "1", "--out", Path.Combine(_root, "named")],
            "this model cannot run Uniform, PruneSID, which run on LLaVA models only", "leave them out of --methods");
}
