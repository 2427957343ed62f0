using System.Text.Json;
using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Eval;
using DiffPrune.Eval.Profiling;
using DiffPrune.Eval.Reports;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Distributed;
using DiffPrune.Tests.Eval;

namespace DiffPrune.Tests.Models;

/// <summary>
/// <see cref="VlmInference"/> and the evaluation on it run the Qwen2.5-VL-style model at native resolution: variable-size
/// SceneBench images (72–144 px sides, 4 px patches merged 2 × 2: N = 81–324 per image) in padded batches, against
/// <see cref="Qwen25VlModel"/> run on each image alone with its own grid's placeholders in the prompt.
/// </summary>
public class Qwen25VlInferenceTests
{
    static readonly WordTokenizer Tok = WordTokenizer.ForSceneBench();
    const double Rate = 1.0 / 3;
    const int AnswerTokens = 6;

    /// <summary>4 px patches merged 2 × 2 divide every variable scene side; the word tokenizer has no vision start and end
    /// tokens, so its last two words stand for them.</summary>
    internal static Qwen25VlModel TinySceneQwen(int positions = 512, int layers = 2)
    {
        var cfg = new Qwen25VlConfig
        {
            Vision = new Qwen25VisionConfig
            {
                Depth = 2, HiddenSize = 16, NumHeads = 2, IntermediateSize = 24, OutHiddenSize = 32, PatchSize = 4, WindowSize = 32, FullAttentionBlocks = [1],
            },
            Text = TinyModels.Llama() with { VocabSize = Tok.VocabSize, NumLayers = layers, NumHeads = 2, NumKvHeads = 1, AttentionBias = true, MropeSection = [2, 3, 3], MaxPositionEmbeddings = positions },
            ImageTokenId = WordTokenizer.ImageId,
            VisionStartTokenId = Tok.VocabSize - 2,
            VisionEndTokenId = Tok.VocabSize - 1,
        };
        var vlm = new Qwen25VlModel(cfg, new Generator(5));
        // larger head weights so that greedy answers differ between prompts and images
        vlm.LanguageModel.LmHead!.Weight.CopyFrom(vlm.LanguageModel.LmHead.Weight.Mul(30f));
        return vlm;
    }

    /// <summary>The first <paramref name="count"/> variable-size test scenes, checked to hold at least two sizes.</summary>
    static SceneExample[] Scenes(int count)
    {
        var examples = new SceneBench(SceneOptions.For(SceneBenchConfiguration.Classic, 144, SceneResolution.Variable)).Split(SceneSplit.Test, count).ToArray();
        Assert.True(count < 2 || examples.Select(e => (e.Scene.Image.Width, e.Scene.Image.Height)).Distinct().Count() >= 2, "the scenes should come in different sizes");
        return examples;
    }

    /// <summary>The first <paramref name="perScene"/> questions of each scene, as (image, prompt ids holding the image token once).</summary>
    static (RgbImage Image, int[] TextIds)[] Queries(SceneExample[] examples, int perScene) =>
        examples.SelectMany(e => e.Items.Take(perScene).Select(q => (q.Image ?? e.Scene.Image, ScenePrompt.PromptIds(Tok, q.Prompt)))).ToArray();

    static Tensor Pixels(RgbImage image) => ImageTensors.ToTensor([image], ImageNormalization.Clip).Reshape(3, image.Height, image.Width);

    static Qwen25PatchGrid Grid(Qwen25VlModel vlm, RgbImage image) => vlm.Config.Vision.Grid(image.Height / 4, image.Width / 4);

    /// <summary>The reference: the model on the image alone, its image token replaced by its own grid's placeholders.</summary>
    static int[] Alone(Qwen25VlModel vlm, RgbImage image, int[] textIds, IPruningHooks? method, int maxNewTokens = AnswerTokens)
    {
        int slot = Array.IndexOf(textIds, WordTokenizer.ImageId);
        int[] expanded = [.. textIds[..slot], .. vlm.ImagePlaceholders(Grid(vlm, image)), .. textIds[(slot + 1)..]];
        return vlm.Generate([Pixels(image)], [expanded], method, maxNewTokens, Tok.EosId)[0];
    }

    static PerImageRate DivPruneAtRate() => new(k => new DivPrunePruner(k, null), Rate, keep: 40);

    [Fact]
    public void APaddedBatchHoldsEachImageEncodedAloneWithItsGrid()
    {
        var vlm = TinySceneQwen();
        var images = Scenes(4).Select(e => e.Scene.Image).ToArray();
        var tokens = new VlmInference(vlm).Encode(images);
        Assert.True(tokens.IsPadded);
        Assert.Null(tokens.Vision);
        for (int i = 0; i < images.Length; i++)
        {
            Qwen25VisionOutput alone;
            using (Autograd.NoGrad()) alone = vlm.Visual.Encode(Pixels(images[i]));
            Assert.Equal(alone.Grid, tokens.Grids![i]);
            Assert.Equal(alone.Grid.Tokens, tokens.CountOf(i));
            Assert.Equal(alone.Grid.Tokens, ((IVisionLanguageModel)vlm).TokenCount(images[i]));
            var row = tokens.Features.Slice(0, i, i + 1).ToArray();
            var own = alone.Tokens.ToArray();
            Assert.Equal(own, row[..own.Length]);
            Assert.All(row[own.Length..], v => Assert.Equal(0f, v));
        }
    }

    [Fact]
    public void EncodingGivesGlobalAttentionWhenAskedAndRefusesSidesTheMergedGridDoesNotDivide()
    {
        var inference = new VlmInference(TinySceneQwen());
        var image = Scenes(1)[0].Scene.Image;
        var attended = inference.Encode([image], attentions: true);
        Assert.Equal(attended.CountOf(0), attended.GlobalAttention!.Single().Length);
        var odd = new RgbImage(76, 72, new byte[76 * 72 * 3]);
        var message = Assert.Throws<ArgumentException>(() => inference.Encode([odd])).Message;
        Assert.Contains("76 × 72 px", message);
        Assert.Contains("multiples of patch_size × spatial_merge_size = 8 px", message);
        Assert.Contains("LLaVA models only", Assert.Throws<ArgumentException>(() => inference.Encode(Pixels(image).Unsqueeze(0))).Message);
    }

    [Fact]
    public void GenerationOnImagesOfMixedSizesEqualsEachQueryThroughTheModelAlone()
    {
        var vlm = TinySceneQwen();
        var queries = Queries(Scenes(3), perScene: 4);
        var answers = new List<int[]?[]>();
        // unpruned on the shared prefix, DivPrune at a rate on it, and every query whole (an in-LLM stage that keeps everything)
        foreach (var method in new IPruningHooks?[] { null, DivPruneAtRate(), new PruningHooks(null, [new SceneBenchEvaluatorTests.KeepEverything()]) })
        {
            var batched = new VlmInference(vlm).Generate(queries, method, AnswerTokens, Tok.EosId, batchSize: 2);
            Assert.Equal(queries.Select(q => Alone(vlm, q.Image, q.TextIds, method)).ToArray(), batched);
            answers.Add(batched);
        }
        Assert.True(answers[0].Select(a => string.Join(",", a!)).Distinct().Count() > 1, "one answer to everything would not test batching");
        Assert.NotEqual(answers[0], answers[1]);
        Assert.Equal(answers[0], answers[2]);
    }

    [Fact]
    public void AnImagePrefixInTheCacheContinuedAfterItsPositionsGivesTheWholePromptsLogits()
    {
        var vlm = TinySceneQwen();
        var inference = new VlmInference(vlm);
        var tokens = inference.Encode(Scenes(2).Select(e => e.Scene.Image).ToArray());
        int[] head = ScenePrompt.ImagePrefixIds(Tok);
        int[][] texts = [ScenePrompt.PromptIds(Tok, "what color is the circle?"), ScenePrompt.PromptIds(Tok, "how many shapes?")];
        using var _ = Autograd.NoGrad();
        var whole = inference.Prefill(inference.Assemble(tokens, texts)).Logits;
        float[] Continued(int shift)
        {
            using var cache = new KvCache(vlm.LanguageModel.Config.NumLayers, texts.Length);
            inference.Prefill(inference.Assemble(tokens, [head, head]), cache);
            var positions = texts.Select((_, i) => ((IVisionLanguageModel)vlm).ImagePositions(tokens, i) + shift).ToArray();
            var after = texts.Select(t => t[head.Length..]).ToArray();
            return inference.Prefill(ImageContinuation.Build(vlm.LanguageModel, after, head.Length - 1, positions), cache).Logits.ToArray();
        }
        Tolerance.AssertClose(whole.ToArray(), Continued(0), atol: 1e-4, rtol: 1e-4);
        // one position too early (text resuming at the grid's extent, vision end forgotten) must be told apart
        Assert.True(whole.ToArray().Zip(Continued(-1), (a, b) => Math.Abs(a - b)).Max() > 1e-3, "a shifted continuation gave the whole prompt's logits");
    }

    [Fact]
    public void APreLlmMethodAtARateKeepsItsShareOfEachImagesOwnTokens()
    {
        var vlm = TinySceneQwen();
        var queries = Queries(Scenes(3), perScene: 2);
        var counter = new KeptTokenCounter(new PerImageRate(k => new RandomPruner(k, seed: 3), Rate, keep: 40));
        new VlmInference(vlm).Generate(queries, counter, AnswerTokens, Tok.EosId, batchSize: 2);
        var images = queries.Select(q => q.Image).Distinct(ReferenceEqualityComparer.Instance).Cast<RgbImage>().ToArray();
        var expected = images.Select(i => (int)Math.Round(Rate * ((IVisionLanguageModel)vlm).TokenCount(i), MidpointRounding.AwayFromZero)).ToArray();
        Assert.True(expected.Distinct().Count() > 1, "images of one N would not test per-image budgets");
        Assert.Equal(KeptTokenStats.Of(expected), counter.Kept(Communicator.Single));
    }

    [Fact]
    public void TheAnswerLossOfAPromptWithOneImageTokenIsTheModelsOnItsPlaceholders()
    {
        var vlm = TinySceneQwen();
        var images = Scenes(2).Select(e => e.Scene.Image).ToArray();
        var texts = images.Select((_, i) => ScenePrompt.TrainingIds(Tok, i == 0 ? "what is left of the circle?" : "how many shapes?", i == 0 ? "a red square" : "3")).ToArray();
        int[][] ids = texts.Select(t => t.Ids).ToArray();
        var isAnswer = AnswerTargets.Masks(ids, texts.Select(t => t.AnswerStart).ToArray());
        var inference = new VlmInference(vlm);
        using var _ = Autograd.NoGrad();
        var tokens = inference.Encode(images);
        var (loss, _, targets) = inference.AnswerLoss(tokens, DivPruneAtRate(), ids, isAnswer);
        var expanded = ids.Select((t, i) => (int[])[t[0], .. vlm.ImagePlaceholders(tokens.Grids![i]), .. t[2..]]).ToArray();
        var expandedAnswer = isAnswer.Select((m, i) => (bool[])[m[0], .. new bool[tokens.Grids![i].Tokens + 2], .. m[2..]]).ToArray();
        var (reference, _, referenceTargets) = vlm.AnswerLoss(tokens, tokens.Grids!, DivPruneAtRate(), expanded, expandedAnswer);
        Assert.Equal(referenceTargets, targets);
        Assert.Equal(reference.Item(), loss.Item(), 6);
        Assert.Contains(targets, t => t != AnswerTargets.Ignore);
    }

    [Fact]
    public void PackedTurnsComputeExactlyWhatEachTurnComputesAlone()
    {
        var vlm = TinySceneQwen();
        // the head at its drawn scale: TinySceneQwen's ×30 (for distinct greedy answers) would scale float rounding 30-fold
        vlm.LanguageModel.LmHead!.Weight.CopyFrom(vlm.LanguageModel.LmHead.Weight.Mul(1f / 30));
        var images = Scenes(2).Select(e => e.Scene.Image).ToArray(); // two sizes: the shorter sample is left-padded
        (string, string)[] turns = [("", "a small red circle at the top."), ("what color is the circle?", "red"), ("is there a square?", "no")];
        var inference = new VlmInference(vlm);
        using var _ = Autograd.NoGrad();
        var tokens = inference.Encode(images);
        var (ids, isAnswer, segments) = ScenePrompt.TrainingIds(Tok, turns);
        var packed = inference.AnswerLoss(tokens, null, [ids, ids], [isAnswer, isAnswer], [segments, segments]);
        var packedInput = ((IVisionLanguageModel)vlm).BuildInput(tokens, [ids, ids], [segments, segments]);
        int v = packed.Logits.Shape[1], t = packedInput.Valid!.Length / 2;
        double lossSum = 0;
        int answerTokens = 0;
        for (int i = 0; i < 2; i++)
        {
            var grid = tokens.Grids![i];
            int n = grid.Tokens, pad = t - (ids.Length - 1 + n + 2), resume = 2 + Math.Max(grid.MergedRows, grid.MergedCols);
            var alone = tokens.Rows([i]);
            int offset = 2; // BOS and the image token; given-text index j ≥ 2 sits at row n + 1 + j (vision start, n tokens, vision end)
            foreach (var turn in turns)
            {
                var (single, singleMask, _) = ScenePrompt.TrainingIds(Tok, [turn]);
                var reference = inference.AnswerLoss(alone, null, [single], [singleMask]);
                int length = single.Length - 2, answers = singleMask.Count(m => m);
                var p = packed.Logits.Data.Slice((i * t + pad + n + 1 + offset) * v, length * v);
                var a = reference.Logits.Data.Slice((n + 3) * v, length * v);
                Tolerance.AssertClose(a, p, atol: 1e-5, rtol: 0, what: $"logits of turn '{turn.Item1}' on image {i}");
                for (int plane = 0; plane < PositionPlanes.Multimodal; plane++) // text ids equal in all planes, each turn right after vision end
                    Assert.Equal(Enumerable.Range(resume + 1, length), packedInput.Positions.AsSpan((plane * 2 + i) * t + pad + n + 1 + offset, length).ToArray());
                lossSum += reference.Loss.Item() * answers;
                answerTokens += answers;
                offset += length;
            }
        }
        Assert.Equal(lossSum / answerTokens, packed.Loss.Item(), 5);
        // without the segments, later turns see earlier ones and their loss differs
        Assert.NotEqual(inference.AnswerLoss(tokens, null, [ids, ids], [isAnswer, isAnswer]).Loss.Item(), packed.Loss.Item(), 4);
        Assert.Contains("segment", Assert.Throws<ArgumentException>(() => inference.AnswerLoss(tokens, null, [ids, ids], [isAnswer, isAnswer], [segments, segments[1..]])).Message);
    }

    [Fact]
    public void ATableOnVariableScenesGivesEachSceneTheModelsAnswersAloneAndEachImageItsRate()
    {
        var vlm = TinySceneQwen();
        var examples = Scenes(3);
        var evaluation = new TableEvaluation(new VlmInference(vlm), Tok, examples, MethodSelection.Parse("random,divprune", null), [Rate], "tiny-qwen", seed: 2, batchSize: 2);
        int n = (int)Math.Round(examples.Average(e => ((IVisionLanguageModel)vlm).TokenCount(e.Scene.Image)), MidpointRounding.AwayFromZero);
        Assert.Equal(["Vanilla", "Random", "DivPrune"], evaluation.Plan.Select(p => p.Method.Label));
        Assert.Equal([n, TokenBudget.FromFraction(Rate, n), TokenBudget.FromFraction(Rate, n)], evaluation.Plan.Select(p => p.Keep));
        var table = evaluation.Run();
        Assert.Equal(n, table.VisualTokens);
        var rows = table.Blocks.SelectMany(b => b.Rows).Prepend(table.Vanilla).ToArray();
        var images = examples.SelectMany(e => e.Items.Select(q => q.Image ?? e.Scene.Image)).Distinct(ReferenceEqualityComparer.Instance).Cast<RgbImage>().ToArray();
        var rated = KeptTokenStats.Of(images.Select(i => TokenBudget.FromRate(Rate, ((IVisionLanguageModel)vlm).TokenCount(i))));
        foreach (var row in rows)
        {
            Assert.Equal(examples.Select(e => e.Scene.Seed), row.Outcomes!.Select(o => o.SceneSeed));
            Assert.Equal(row.Method == "Vanilla" ? null : rated, row.Kept);
            Assert.True(row.PrefillFlops > 0);
        }
        // Vanilla and DivPrune answer each question as the model does on its image alone (Random's stream depends on the order)
        foreach (var (row, method) in new[] { (rows[0], (IPruningHooks?)null), (rows[2], new PerImageRate(k => new DivPrunePruner(k, null), Rate, 1)) })
            for (int s = 0; s < examples.Length; s++)
            {
                var items = row.Outcomes![s].Items;
                var expected = items.Select(q => Tok.Decode(Alone(vlm, q.Image ?? examples[s].Scene.Image, ScenePrompt.PromptIds(Tok, q.Prompt), method, 8)));
                Assert.Equal(expected, row.Outcomes[s].Predictions);
            }
        // the cost probe is the first scene's first VQAv2 question on that image's own grid: vision start, N tokens, vision end
        var probe = examples[0];
        var grid = Grid(vlm, probe.Scene.Image);
        int sequence = ScenePrompt.PromptIds(Tok, probe.ItemsOf(SceneSuite.VqaV2).First().Prompt).Length - 1 + grid.Tokens + 2;
        var flops = FlopCount.OfQwen25(vlm.Config.Vision, grid, vlm.Config.Text, TokenSchedule.Constant(grid.Tokens, sequence, vlm.Config.Text.NumLayers));
        Assert.Equal((double?)flops.Prefill, table.Vanilla.PrefillFlops);
    }

    [Fact]
    public void APromptWhoseImageAndAnswerRunPastThePositionsIsRefusedBeforeEncoding()
    {
        // 9 prompt tokens and up to 8 answer tokens; a 144 px side is 18 merged tokens: vision start, 18, vision end = 20 positions
        var inference = new VlmInference(TinySceneQwen(positions: 36));
        int[] prompt = [Tok.BosId, WordTokenizer.ImageId, .. Enumerable.Repeat(Tok.EosId + 5, 8)];
        RgbImage Blank(int width, int height) => new(width, height, new byte[width * height * 3]);
        var error = Assert.Throws<ResourceLimitException>(() => inference.Generate([(Blank(72, 72), prompt), (Blank(72, 144), prompt)], null, 8, null));
        Assert.Contains("its image's 20 positions and up to 8 answer tokens need 37 positions; the model has 36", error.Message);
        Assert.Equal(8, inference.Generate([(Blank(72, 72), prompt)], null, 8, null)[0]!.Length); // 9 + 11 + 8 = 28
    }

    [Theory]
    [InlineData("FastV")]
    [InlineData("DART")]
    public void AOneStageInLlmMethodAtARateGivesEachQueryWhatItsImagesOwnKGivesAlone(string name)
    {
        var vlm = TinySceneQwen();
        var queries = Queries(Scenes(3), perScene: 3);
        int depth = vlm.LanguageModel.Config.NumLayers;
        IPruningMethod AtKeep(int k, int n) => name == "FastV" ? new FastVPruner(k, n, depth) : new DartPruner(k, n, depth);
        var rated = new PerImageRate(k => PruningMethods.Create(name, vlm, k), Rate, keep: 40);
        Assert.Null(rated.PreLlm);
        Assert.Equal(AtKeep(40, 324).Location, rated.Location);
        var batched = new VlmInference(vlm).Generate(queries, rated, AnswerTokens, Tok.EosId, batchSize: 2);
        var alone = queries.Select(q =>
        {
            int n = ((IVisionLanguageModel)vlm).TokenCount(q.Image);
            return Alone(vlm, q.Image, q.TextIds, AtKeep(TokenBudget.FromRate(Rate, n), n));
        }).ToArray();
        Assert.Equal(alone, batched);
        // the rate matters: every image at one K (the largest image's share) answers differently
        var fixedK = queries.Select(q => Alone(vlm, q.Image, q.TextIds, AtKeep(27, 324))).ToArray();
        Assert.NotEqual(fixedK, batched);
    }

    [Fact]
    public void HoloVOnANativeResolutionModelAllotsByEachImagesGlobalAttention()
    {
        var vlm = TinySceneQwen();
        var images = Scenes(3).Select(e => e.Scene.Image).ToArray();
        using var _ = Autograd.NoGrad();
        var tokens = new VlmInference(vlm).Encode(images, attentions: true);
        var kept = new PerImageRate(k => PruningMethods.Create("HoloV", vlm, k), Rate, keep: 40).Prune(tokens);
        for (int i = 0; i < images.Length; i++)
        {
            int n = tokens.CountOf(i);
            var alone = tokens.Sample(i);
            var expected = HoloVPruner.Select(alone.GlobalAttention![0], alone.Features.Reshape(n, -1), TokenBudget.FromRate(Rate, n));
            Assert.Equal(expected, kept.PatchIndex[i]);
            // the attention decides: ranked by a reversed attention, the groups keep other tokens
            var reversed = HoloVPruner.Select(alone.GlobalAttention[0].Select(a => -a).ToArray(), alone.Features.Reshape(n, -1), expected.Length);
            Assert.NotEqual(expected, reversed);
        }
        Assert.Contains("encode the images with attentions", Assert.Throws<ArgumentException>(() =>
            PruningMethods.Create("HoloV", vlm, 10).PreLlm!(new VlmInference(vlm).Encode([images[0]]))).Message);
    }

    [Fact]
    public void AStageAtARateRefusesABatchOfImagesOfDifferentN()
    {
        var vlm = TinySceneQwen();
        var images = Scenes(3).Select(e => e.Scene.Image).ToArray();
        var pair = new[] { images[0], images.First(i => i.Width * i.Height != images[0].Width * images[0].Height) };
        var rated = new PerImageRate(k => PruningMethods.Create("FastV", vlm, k), Rate, keep: 40);
        var inference = new VlmInference(vlm);
        using var _ = Autograd.NoGrad();
        var prompt = ScenePrompt.PromptIds(Tok, "how many shapes?");
        var input = inference.Assemble(inference.Encode(pair), [prompt, prompt], rated.Droppers);
        var error = Assert.Throws<ArgumentException>(() => inference.Prefill(input));
        Assert.Contains("FastV at a rate decides one K for its batch", error.Message);
    }

    [Fact]
    public void ATableAtARateLeavesOutWhatCannotKeepEachImagesShareAndIsTable3()
    {
        var vlm = TinySceneQwen(layers: 6); // deep enough for PyramidDrop and SparseVLM to prune at several layers
        var evaluation = new TableEvaluation(new VlmInference(vlm), Tok, Scenes(1), MethodSelection.Parse("all", null), [Rate], "tiny-qwen");
        Assert.Equal(["Random", "DivPrune", "HoloV", "FastV", "DART"], evaluation.Plan.Skip(1).Select(p => p.Method.Label));
        Assert.Equal(["Uniform", "VisionZip", "PruneSID", "PyramidDrop", "SparseVLM"], evaluation.LeftOut);
        Assert.Equal("Left out: Uniform, VisionZip, PruneSID, which run on LLaVA models only (a CLIP tower's CLS attention or one token grid for every image); " +
            "PyramidDrop, SparseVLM, which prune at several LLM layers with a fixed K per stage, where a rate gives every image its own K.", evaluation.LeftOutNote);
        var table = evaluation.Run();
        var md = EvaluationReport.Markdown(table);
        Assert.StartsWith("# SceneBench evaluation of a Qwen2.5-VL-style model (paper Table 3)", md);
        Assert.Contains($"| *Pruning Rate = 66.7 % (mean K {table.Blocks[0].Keep} of {table.VisualTokens})* |", md);
        Assert.Contains(evaluation.LeftOutNote!, md);
        Assert.True(JsonDocument.Parse(EvaluationReport.Json(table)).RootElement.GetProperty("nativeResolution").GetBoolean());
        Assert.All(table.Blocks[0].Rows, r => Assert.True(r.PrefillFlops < table.Vanilla.PrefillFlops));
    }

    [Theory]
    [InlineData("pyramiddrop", "this model cannot run PyramidDrop, which prunes at several LLM layers")]
    [InlineData("visionzip", "this model cannot run VisionZip, which runs on LLaVA models only")]
    [InlineData("uniform,prunesid", "this model cannot run Uniform, PruneSID, which run on LLaVA models only")]
    public void ATableAtARateRefusesWhatCannotKeepEachImagesShareBeforeItRuns(string method, string message)
    {
        var vlm = TinySceneQwen(layers: 6);
        var error = Assert.Throws<ArgumentException>(() => new TableEvaluation(new VlmInference(vlm), Tok, Scenes(2), MethodSelection.Parse(method, null), [Rate], "tiny-qwen"));
        Assert.Contains(message, error.Message);
        Assert.Contains("so it cannot keep K_i = round(rate × N_i)", Assert.Throws<ArgumentException>(() => new PerImageRate(k => PruningMethods.Create("PyramidDrop", vlm, k), Rate, 40)).Message);
    }
}
