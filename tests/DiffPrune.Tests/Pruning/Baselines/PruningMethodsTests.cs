using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors;
using DiffPrune.Tests.Models;

namespace DiffPrune.Tests.Pruning.Baselines;

public class PruningMethodsTests
{
    [Fact]
    public void KnowsEveryComparedMethodByNameInAnyCase()
    {
        Assert.Equal(["Vanilla", "Random", "Uniform", "VisionZip", "DivPrune", "HoloV", "PruneSID", "FastV", "DART", "PyramidDrop", "SparseVLM"], PruningMethods.Names);
        var vlm = BaselineFixtures.ShallowVlm();
        Assert.IsType<VisionZipPruner>(PruningMethods.Create("visionzip", vlm, 4));
        Assert.IsType<FastVPruner>(PruningMethods.Create("FASTV", vlm, 4));
        Assert.All(PruningMethods.Names, name => Assert.Equal(name, PruningMethods.Create(name, vlm, 4).Name));
    }

    [Fact]
    public void UnknownNamesAndBudgetsOutsideOneToNAreNamed()
    {
        var vlm = BaselineFixtures.ShallowVlm();
        var unknown = Assert.Throws<ArgumentException>(() => PruningMethods.Create("ToMe", vlm, 4)).Message;
        Assert.Contains("'ToMe'", unknown);
        Assert.Contains("Vanilla, Random, Uniform, VisionZip, DivPrune, HoloV, PruneSID, FastV, DART, PyramidDrop, SparseVLM", unknown);
        foreach (var name in PruningMethods.Names)
        {
            Assert.Contains("K = 0, N = 16", Assert.Throws<ArgumentOutOfRangeException>(() => PruningMethods.Create(name, vlm, 0)).Message);
            Assert.Contains("K = 17, N = 16", Assert.Throws<ArgumentOutOfRangeException>(() => PruningMethods.Create(name, vlm, 17)).Message);
        }
    }

    [Theory]
    [InlineData("Vanilla", "–", false, false, false, 0)]
    [InlineData("Random", "Pre", false, false, true, 0)]
    [InlineData("Uniform", "Pre", false, false, true, 0)]
    [InlineData("VisionZip", "Pre", true, false, true, 0)]
    [InlineData("DivPrune", "Pre", false, false, true, 0)]
    [InlineData("HoloV", "Pre", true, false, true, 0)]
    [InlineData("PruneSID", "Pre", true, false, true, 0)]
    [InlineData("FastV", "L2–L4", false, true, false, 1)]
    [InlineData("DART", "L2", false, true, false, 1)]
    [InlineData("PyramidDrop", "L1–L3", false, true, false, 3)]
    [InlineData("SparseVLM", "L0–L2", false, true, false, 3)]
    public void EachMethodSaysWhereItPrunesAndWhatItReads(string name, string location, bool visionAttentions, bool text, bool preLlm, int stages)
    {
        var method = PruningMethods.Create(name, BaselineFixtures.ShallowVlm(), 5);
        Assert.Equal(location, method.Location);
        Assert.Equal(visionAttentions, method.NeedsVisionAttentions);
        Assert.Equal(text, method.NeedsText);
        Assert.Equal(preLlm, method.PreLlm != null);
        Assert.Equal(stages, method.Droppers.Count);
        Assert.Equal(name == "Vanilla" ? 16 : 5, method.Keep);
    }

    [Fact]
    public void InLlmLocationsFollowTheLlmsDepth()
    {
        var cfg = TinyModels.Llava();
        var vicunaDepth = new LlavaModel(cfg with { Text = cfg.Text with { NumLayers = 32 } }, new Generator(1));
        Assert.Equal("L2–L32", PruningMethods.Create("FastV", vicunaDepth, 4).Location);
        Assert.Equal("L2", PruningMethods.Create("DART", vicunaDepth, 4).Location);
        Assert.Equal("L8–L24", PruningMethods.Create("PyramidDrop", vicunaDepth, 4).Location);
        Assert.Equal("L2–L15", PruningMethods.Create("SparseVLM", vicunaDepth, 4).Location);
        var oneLayer = new LlavaModel(cfg with { Text = cfg.Text with { NumLayers = 1 } }, new Generator(1));
        Assert.Contains("at least 2 layers", Assert.Throws<ArgumentException>(() => PruningMethods.Create("FastV", oneLayer, 4)).Message);
        Assert.Equal("Pre", PruningMethods.Create("VisionZip", oneLayer, 4).Location);
    }

    [Fact]
    public void TheTrainedPrunerIsAMethodOfTheSameKind()
    {
        IPruningMethod diffPrune = new TokenPruner(new TokenScorer(24, new Generator(1), heads: 2), new TokenPrunerConfig(24, 2, 2, 6));
        Assert.Equal(("DiffPrune", "Pre", 6, false), (diffPrune.Name, diffPrune.Location, diffPrune.Keep, diffPrune.NeedsVisionAttentions));
        var vlm = BaselineFixtures.ShallowVlm();
        using var _ = Autograd.NoGrad();
        var input = new VlmInference(vlm).Prepare(BaselineFixtures.Pixels(vlm, 2, 1), [[1, 3, 7], [1, 3, 8]], diffPrune);
        Assert.Equal(2 * (1 + 6 + 1), input.Positions.Length);
    }

    [Fact]
    public void BudgetsAsFractionsOfN()
    {
        Assert.Equal((16, 32, 48), (TokenBudget.FromFraction(1 / 9.0, 144), TokenBudget.FromFraction(2 / 9.0, 144), TokenBudget.FromFraction(1 / 3.0, 144)));
        Assert.Equal((64, 128, 192), (TokenBudget.FromFraction(1 / 9.0, 576), TokenBudget.FromFraction(2 / 9.0, 576), TokenBudget.FromFraction(1 / 3.0, 576)));
        Assert.Equal(1, TokenBudget.FromFraction(0.001, 16));
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenBudget.FromFraction(0, 16));
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenBudget.FromFraction(1.5, 16));
    }
}
