using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;
using DiffPrune.Tests.Data;
using DiffPrune.Tests.Models;
using DiffPrune.Training.Pruner;
using DiffPrune.Pruning;

namespace DiffPrune.Tests.Pruning;

public class PrunerTrainerTests
{
    static readonly WordTokenizer Tokenizer = WordTokenizer.ForSceneBench();

    static LlavaModel TinyVlm() => new(TinyModels.SceneLlava(), new Generator(3));

    static readonly PrunerTrainingOptions Options = new()
    {
        Seed = 4,
        Keep = 16,
        Steps = 4,
        BatchSize = 3,
        Optimizer = new() { LearningRate = 1e-3 },
        StandardizerScenes = 4,
        ValidationScenes = 3,
        Patience = 2,
        FeaturePool = 6,
    };

    static float[] Weights(PrunerTrainer t) => t.Scorer.Parameters().Concat(t.Denoiser.Parameters()).SelectMany(p => p.ToArray()).ToArray();

    [Fact]
    public void AResumedRunMatchesAnUninterruptedOneAndTheVlmNeverChanges()
    {
        var vlm = TinyVlm();
        var vlmBefore = vlm.Parameters().SelectMany(p => p.ToArray()).ToArray();
        var straight = PrunerTrainer.Create(vlm, Tokenizer, SceneOptions.Default, Options);
        var reports = new List<PrunerStepReport>();
        while (!straight.Done) reports.Add(straight.TrainStep());
        Assert.All(reports, r => Assert.True(double.IsFinite(r.Loss) && r.Alpha.MeanInsideTopK is > 0 and <= 1));

        using var dir = new TempDirectory();
        var first = PrunerTrainer.Create(vlm, Tokenizer, SceneOptions.Default, Options);
        first.TrainStep();
        first.TrainStep();
        first.SaveCheckpoint(dir.File("pruner-ckpt.safetensors"));
        var resumed = PrunerTrainer.Resume(dir.File("pruner-ckpt.safetensors"), vlm, Tokenizer, SceneOptions.Default, Options);
        Assert.Equal(2, resumed.Step);
        while (!resumed.Done) resumed.TrainStep();
        Assert.Equal(Weights(straight), Weights(resumed)); // bit-identical: same batches, noise, optimizer state
        Assert.Equal(vlmBefore, vlm.Parameters().SelectMany(p => p.ToArray()).ToArray());

        var other = Options with { Keep = 8 };
        Assert.Contains("keep = 8", Assert.Throws<InvalidDataException>(() => PrunerTrainer.Resume(dir.File("pruner-ckpt.safetensors"), vlm, Tokenizer, SceneOptions.Default, other)).Message);
    }

    [Fact]
    public void APoolWithQuestionsMixesEachScenesOwnQuestionsWithItsCaption()
    {
        var vlm = TinyVlm();
        var pool = CaptionFeaturePool.Encode(vlm, Tokenizer, SceneOptions.Default, 4, 11, questions: true);
        var scenes = SceneBench.DrawTrainingScenes(new Generator(11), 4, SceneOptions.Default);
        var texts = scenes.Select(s => SceneBench.Questions(s).Where(q => q.Image == null).Select(q => ScenePrompt.TrainingIds(Tokenizer, q.Prompt, q.Answer).Ids)
            .Prepend(ScenePrompt.TrainingIds(Tokenizer, "", s.Caption).Ids).ToArray()).ToArray();
        var gen = new Generator(12);
        int captions = 0, total = 0;
        for (int draw = 0; draw < 50; draw++)
        {
            var (tokens, ids, _) = pool.Batch(gen, 8);
            var features = tokens.Features;
            for (int i = 0; i < ids.Length; i++, total++)
            {
                // the features identify the scene drawn; its text must be that scene's caption or one of its questions
                int scene = Enumerable.Range(0, 4).Single(s => features.Data.Slice(i * features.Shape[1] * features.Shape[2], 8).SequenceEqual(pool.Tokens.Features.Data.Slice(s * features.Shape[1] * features.Shape[2], 8)));
                Assert.Contains(texts[scene], t => t.SequenceEqual(ids[i]));
                if (ids[i].SequenceEqual(texts[scene][0])) captions++;
            }
        }
        Assert.InRange(captions / (double)total, 0.4, 0.6);   // half captions, half questions
        Assert.Throws<ArgumentException>(() => (Options with { WithQuestions = true, FeaturePool = 0 }).Validate());
    }

    [Fact]
    public void ASharedFeaturePoolTrainsAsTheRunsOwnAndHoldsTheFrozenTowersFeatures()
    {
        var vlm = TinyVlm();
        var pool = CaptionFeaturePool.Encode(vlm, Tokenizer, SceneOptions.Default, Options.FeaturePool, PrunerTrainer.PoolSeed(Options));
        var chunked = CaptionFeaturePool.Encode(vlm, Tokenizer, SceneOptions.Default, Options.FeaturePool, PrunerTrainer.PoolSeed(Options), batch: 4);
        Tolerance.AssertClose(pool.Tokens.Features.Data, chunked.Tokens.Features.Data, atol: 1e-5, rtol: 0, what: "features encoded 4 at a time");
        var scene = SceneBench.DrawTrainingScenes(new Generator(pool.Seed), 1, SceneOptions.Default)[0];
        using (Autograd.NoGrad())
        {
            var alone = vlm.EncodeImages(DiffPrune.Data.Images.ImageTensors.ToTensor([scene.Image], DiffPrune.Data.Images.ImageNormalization.Clip)).Features;
            Tolerance.AssertClose(alone.Data, pool.Tokens.Features.Data[..alone.Numel], atol: 1e-5, rtol: 0, what: "pooled features of the first scene");
        }
        Assert.Equal(ScenePrompt.TrainingIds(Tokenizer, "", scene.Caption).Ids, pool.Ids[0]);
        var own = PrunerTrainer.Create(vlm, Tokenizer, SceneOptions.Default, Options);
        var shared = PrunerTrainer.Create(vlm, Tokenizer, SceneOptions.Default, Options, pool);
        while (!own.Done) { own.TrainStep(); shared.TrainStep(); }
        Assert.Equal(Weights(own), Weights(shared));
        Assert.Contains("feature pool", Assert.Throws<ArgumentException>(() => PrunerTrainer.Create(vlm, Tokenizer, SceneOptions.Default, Options with { Seed = 5 }, pool)).Message);
    }

    [Fact]
    public void TauAnnealsFromTwoToAHundredthOverTheRunWhenItIsShorterThanTheSchedule()
    {
        var t = PrunerTrainer.Create(TinyVlm(), Tokenizer, SceneOptions.Default, Options with { Steps = 100 });
        Assert.Equal(2.0, t.TauAt(0), 9);
        Assert.Equal(1.005, t.TauAt(50), 9);
        Assert.Equal(0.01, t.TauAt(100), 9);
        var longRun = PrunerTrainer.Create(TinyVlm(), Tokenizer, SceneOptions.Default, Options with { Steps = 5000 });
        Assert.Equal(0.01, longRun.TauAt(2000), 9);
    }

    [Fact]
    public void ValidationComparesSoftAndHardAndStopsEarlyWithoutImprovement()
    {
        var t = PrunerTrainer.Create(TinyVlm(), Tokenizer, SceneOptions.Default, Options with { Patience = 1 });
        var v = t.Validate();
        Assert.True(v.Best && double.IsFinite(v.SoftLoss) && double.IsFinite(v.HardLoss));
        Assert.False(t.Done);
        var again = t.Validate(); // nothing trained: the same hard loss is no improvement
        Assert.Equal(v.HardLoss, again.HardLoss);
        Assert.False(again.Best);
        Assert.True(t.Done);
        Assert.Throws<InvalidOperationException>(() => t.TrainStep());
    }

    [Fact]
    public void BudgetsAndGeometriesThatCannotWorkAreRejected()
    {
        Assert.Contains("K = N", Assert.Throws<ArgumentException>(() => PrunerTrainer.Create(TinyVlm(), Tokenizer, SceneOptions.Default, Options with { Keep = 144 })).Message);
        Assert.Contains("81", Assert.Throws<ArgumentException>(() => PrunerTrainer.Create(TinyVlm(), Tokenizer, SceneOptions.Grid81, Options)).Message);
        Assert.Contains("Keep", Assert.Throws<ArgumentException>(() => PrunerTrainer.Create(TinyVlm(), Tokenizer, SceneOptions.Default, Options with { Keep = 0 })).Message);
    }

    [Fact]
    public void ADeeperScorerTrainsAndDeploysWithItsDepthWhileThePapersDepthKeepsOldRunsResumable()
    {
        var deep = PrunerTrainer.Create(TinyVlm(), Tokenizer, SceneOptions.Default, Options with { ScorerLayers = 3 });
        Assert.Equal(3, deep.Scorer.Blocks.Count);
        Assert.Equal(3, deep.ToPruner().Config.Layers);
        deep.TrainStep();
        Assert.Contains("scorer_layers = 3", deep.Options.Describe());
        Assert.DoesNotContain("scorer_layers", Options.Describe());
        Assert.Contains("ScorerLayers", Assert.Throws<ArgumentException>(() => (Options with { ScorerLayers = 0 }).Validate()).Message);
    }

    [Fact]
    public void ARunStartedFromATrainedPrunerBeginsWithItsScorerAndDenoiserAndRefusesOneOfAnotherShape()
    {
        var vlm = TinyVlm();
        var trained = PrunerTrainer.Create(vlm, Tokenizer, SceneOptions.Default, Options);
        trained.TrainStep();
        using var dir = new TempDirectory();
        trained.ToPruner().Save(dir.Path);
        trained.Denoiser.Save(dir.File(Denoiser.FileName));

        var fineTune = PrunerTrainer.Create(vlm, Tokenizer, SceneOptions.Default, Options with { Keep = 8, InitFrom = dir.Path });
        Assert.Equal(Weights(trained), Weights(fineTune));
        Assert.NotEqual(Weights(trained), Weights(PrunerTrainer.Create(vlm, Tokenizer, SceneOptions.Default, Options with { Keep = 8 })));
        Assert.Contains($"init = {System.IO.Path.GetFullPath(dir.Path)}", fineTune.Options.Describe());
        Assert.DoesNotContain("init", Options.Describe());
        fineTune.TrainStep();
        Assert.NotEqual(Weights(trained), Weights(fineTune));

        Assert.Contains("--scorer-layers", Assert.Throws<ArgumentException>(() =>
            PrunerTrainer.Create(vlm, Tokenizer, SceneOptions.Default, Options with { ScorerLayers = 3, InitFrom = dir.Path })).Message);
        Assert.Contains("--denoiser", Assert.Throws<ArgumentException>(() =>
            PrunerTrainer.Create(vlm, Tokenizer, SceneOptions.Default, Options with { Denoiser = DenoiserAttention.Global, InitFrom = dir.Path })).Message);
        File.Delete(dir.File(Denoiser.FileName));
        Assert.Throws<FileNotFoundException>(() => PrunerTrainer.Create(vlm, Tokenizer, SceneOptions.Default, Options with { InitFrom = dir.Path }));
    }
}
