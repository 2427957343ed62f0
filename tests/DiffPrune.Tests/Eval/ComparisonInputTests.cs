using DiffPrune.Data.Images;
using DiffPrune.Eval;
using DiffPrune.Eval.Statistics;
using DiffPrune.Models.Loaders;
using DiffPrune.Pruning;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors;
using DiffPrune.Tests.Data;
using DiffPrune.Tests.Models;

namespace DiffPrune.Tests.Eval;

/// <summary>Budgets, method names, pruner and model folders and images, as the eval, profile and prune commands take them.</summary>
public class ComparisonInputTests
{
    static void OneLine(Exception e) => Assert.DoesNotContain('\n', e.Message);

    [Fact]
    public void BudgetsAreFractionsOrDecimalsInsideZeroOne()
    {
        var fractions = BudgetFractions.Parse("1/3, 2/9,0.25");
        Assert.Equal([1.0 / 3, 2.0 / 9, 0.25], fractions);
        Assert.Equal([48, 32, 16], BudgetFractions.Default.Select(f => BudgetFractions.Keep(f, 144)));
        Assert.Equal("88.9 %", BudgetFractions.PruningPercent(16, 144));
        foreach (var bad in new[] { "1", "0", "1.5", "-1/9", "9/9", "1/0" })
        {
            var e = Assert.Throws<ArgumentException>(() => BudgetFractions.Parse($"1/3,{bad}"));
            Assert.Contains("outside (0, 1)", e.Message);
            OneLine(e);
        }
        foreach (var bad in new[] { "a", "1/2/3", "1/x" })
            Assert.Contains("is not a fraction", Assert.Throws<ArgumentException>(() => BudgetFractions.ParseOne(bad)).Message);
        Assert.Throws<ArgumentException>(() => BudgetFractions.Parse(" , "));
    }

    [Fact]
    public void MethodsComeFromTheRegistryByAnyCase()
    {
        var all = MethodSelection.Parse(null, null);
        Assert.Equal(PruningMethods.Names.Skip(1), all.Names);
        var some = MethodSelection.Parse("fastv, RANDOM", null);
        Assert.Equal(["Random", "FastV"], some.Names);
        var e = Assert.Throws<ArgumentException>(() => MethodSelection.Parse("fastv,foo", null));
        Assert.Contains("unknown method 'foo'", e.Message);
        Assert.Contains("VisionZip", e.Message);
        OneLine(e);
        var needsPruner = Assert.Throws<ArgumentException>(() => MethodSelection.Parse("diffprune", null));
        Assert.Contains("--pruner", needsPruner.Message);
    }

    static TokenPruner Pruner(int keep, ulong seed = 1) =>
        new(new TokenScorer(24, new Generator(seed), heads: 2), new TokenPrunerConfig(24, 2, 2, keep));

    [Fact]
    public void PrunersTrainedAtARateArePickedByRateAndKeepItThroughTheirFolder()
    {
        using var dir = new TempDirectory();
        static TokenPruner AtRate(int keep, double rate, ulong seed) =>
            new(new TokenScorer(24, new Generator(seed), heads: 2), new TokenPrunerConfig(24, 2, 2, keep, KeepRate: rate));
        AtRate(24, 2.0 / 9, 1).Save(Path.Combine(dir.Path, "r2of9"));
        AtRate(12, 1.0 / 9, 2).Save(Path.Combine(dir.Path, "r1of9"));
        var pruners = DiffPrunePruners.Load([dir.Path]);
        Assert.Equal([1.0 / 9, 2.0 / 9], pruners.Pruners.Select(p => p.Config.KeepRate!.Value));
        // eval's typical N differs from train's: K = 20 is nearer the 2/9 pruner's K, the rate picks the 1/9 one
        var (exact, label) = Assert.Single(pruners.At(20, 1.0 / 9));
        Assert.Equal("DiffPrune", label);
        Assert.Same(pruners.Pruners[0].Scorer, exact.Scorer);
        Assert.Equal(20, exact.Keep);
        Assert.Equal("DiffPrune (trained at 77.8 % pruning)", Assert.Single(pruners.At(61, 1.0 / 3)).Label);
        Assert.Equal("DiffPrune (trained K = 24)", Assert.Single(pruners.At(30)).Label); // at one K: by K, as before
        var selection = MethodSelection.Parse("random,diffprune", pruners);
        Assert.Equal(["Random", "DiffPrune"], selection.AtRate(2.0 / 9, 41).Select(m => m.Label));
    }

    [Fact]
    public void PrunersAreFoundInTheirFoldersAndPickedByBudget()
    {
        using var dir = new TempDirectory();
        Pruner(16).Save(Path.Combine(dir.Path, "k16", "pruner"));     // a train run folder
        Pruner(48, 2).Save(Path.Combine(dir.Path, "k48"));             // a pruner folder
        var pruners = DiffPrunePruners.Load([dir.Path]);
        Assert.Equal([16, 48], pruners.Pruners.Select(p => p.Config.Keep));
        Assert.Equal(24, pruners.VisionWidth);
        var (exact, label) = Assert.Single(pruners.At(16));
        Assert.Equal(("DiffPrune", 16), (label, exact.Config.Keep));
        var (near, nearLabel) = Assert.Single(pruners.At(32));
        Assert.Equal(("DiffPrune (trained K = 16)", 32), (nearLabel, near.Config.Keep)); // a tie goes to the smaller K
        Assert.Same(pruners.Pruners[0].Scorer, near.Scorer);
        Assert.Equal("DiffPrune (trained K = 48)", Assert.Single(pruners.At(40)).Label);
        var selection = MethodSelection.Parse("random,diffprune", pruners);
        Assert.Equal(["Random", "DiffPrune (trained K = 16)"], selection.At(20).Select(m => m.Label));
        Assert.Contains("d_v = 32", Assert.Throws<ArgumentException>(() => pruners.CheckFits(32, "model")).Message);
    }

    [Fact]
    public void SeveralPrunersAtOneBudgetAreRowsNamedByTheirRunsAndTheFirstGivenIsTheReference()
    {
        using var dir = new TempDirectory();
        Pruner(16).Save(Path.Combine(dir.Path, "full", "pruner"));
        Pruner(16, 2).Save(Path.Combine(dir.Path, "gumbel", "pruner"));
        Pruner(16, 3).Save(Path.Combine(dir.Path, "global"));
        var pruners = DiffPrunePruners.Load([Path.Combine(dir.Path, "gumbel"), Path.Combine(dir.Path, "full"), Path.Combine(dir.Path, "global")]);
        Assert.Equal(3, pruners.RowsPerBudget);
        Assert.Equal(["DiffPrune", "DiffPrune (full)", "DiffPrune (global)"], pruners.At(16).Select(p => p.Label));
        Assert.Same(pruners.Pruners[1].Scorer, pruners.At(16)[1].Pruner.Scorer);
        Assert.Equal(["DiffPrune (trained K = 16)", "DiffPrune (full, trained K = 16)", "DiffPrune (global, trained K = 16)"], pruners.At(8).Select(p => p.Label));
        Assert.All(pruners.At(8), p => Assert.Equal(8, p.Pruner.Keep));
        var rows = MethodSelection.Parse("divprune,diffprune", pruners).At(16).Select(m => m.Label).ToArray();
        Assert.Equal(["DivPrune", "DiffPrune", "DiffPrune (full)", "DiffPrune (global)"], rows);
        Assert.All(rows.Skip(1), l => Assert.True(TableStatistics.IsDiffPrune(l))); // paired with the first DiffPrune row of the block

        Pruner(16, 4).Save(Path.Combine(dir.Path, "more", "full", "pruner"));
        var e = Assert.Throws<ArgumentException>(() => DiffPrunePruners.Load([Path.Combine(dir.Path, "full"), Path.Combine(dir.Path, "more", "full")]));
        Assert.Contains("two pruners trained for K = 16 from run folders named 'full'", e.Message);
        OneLine(e);
    }

    [Fact]
    public void ADeployedDenoiserIsARowOfItsOwnAfterItsPruner()
    {
        using var dir = new TempDirectory();
        var folder = Path.Combine(dir.Path, "full", "pruner");
        Pruner(16).Save(folder);
        new Denoiser(24, new Generator(5), heads: 2).Save(Path.Combine(folder, Denoiser.FileName));
        var pruners = DiffPrunePruners.Load([Path.Combine(dir.Path, "full")], deployedDenoiser: true);
        Assert.Equal(["DiffPrune", "DiffPrune + denoiser (full)"], pruners.At(16).Select(p => p.Label));
        Assert.Null(pruners.At(16)[0].Pruner.Denoiser);
        Assert.NotNull(pruners.At(16)[1].Pruner.Denoiser);
        Assert.True(TableStatistics.IsDiffPrune(pruners.At(16)[1].Label)); // paired with the plain pruner
        Assert.Single(DiffPrunePruners.Load([Path.Combine(dir.Path, "full")]).At(16));
    }

    [Fact]
    public void WithKeepMovesOnlyTheCut()
    {
        var pruner = Pruner(4);
        var vlm = new DiffPrune.Models.Vlm.LlavaModel(TinyModels.Llava(), new Generator(3));
        var tokens = vlm.EncodeImages(TinyModels.Pixels(2, 4));
        var wider = pruner.WithKeep(8);
        Assert.Equal(8, wider.Keep);
        Assert.Same(pruner, pruner.WithKeep(4));
        var kept4 = pruner.Prune(tokens).PatchIndex;
        var kept8 = wider.Prune(tokens).PatchIndex;
        for (int b = 0; b < 2; b++) Assert.Subset(kept8[b].ToHashSet(), kept4[b].ToHashSet());
    }

    [Fact]
    public void MissingFoldersAndNonPngImagesNameTheFix()
    {
        using var dir = new TempDirectory();
        var missing = Path.Combine(dir.Path, "nope");
        var model = Assert.Throws<DirectoryNotFoundException>(() => ModelFolder.Load(missing));
        Assert.Contains(missing, model.Message);
        Assert.Contains("diffprune pretrain", model.Message);
        var pruner = Assert.Throws<DirectoryNotFoundException>(() => DiffPrunePruners.Load([missing]));
        Assert.Contains("diffprune train", pruner.Message);
        var empty = Assert.Throws<FileNotFoundException>(() => DiffPrunePruners.Load([dir.Path]));
        Assert.Contains("holds no pruner.json", empty.Message);

        var jpeg = dir.File("photo.jpg");
        File.WriteAllBytes(jpeg, [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 0x4A, 0x46, 0x49, 0x46]);
        var notPng = Assert.Throws<InvalidDataException>(() => PruneComparison.ReadImage(jpeg));
        Assert.Contains("is not a PNG file: convert it", notPng.Message);
        Assert.Throws<FileNotFoundException>(() => PruneComparison.ReadImage(dir.File("absent.png")));
        var png = dir.File("ok.png");
        PngEncoder.Save(RgbImage.Filled(3, 2, 9, 8, 7), png);
        Assert.Equal((9, 8, 7), PruneComparison.ReadImage(png).GetPixel(2, 1));
        foreach (var e in new Exception[] { model, pruner, empty, notPng }) OneLine(e);
    }
}
