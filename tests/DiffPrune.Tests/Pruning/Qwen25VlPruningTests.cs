using DiffPrune.Models.Llama;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors;
using DiffPrune.Tests.Models;

namespace DiffPrune.Tests.Pruning;

/// <summary>Named methods on the Qwen2.5-VL-style model through the same hooks as on LLaVA: what they keep carries its
/// original M-RoPE ids in all three planes, before the LLM (Random) and inside it (FastV).</summary>
public class Qwen25VlPruningTests
{
    static int[] Prompt(Qwen25VlModel vlm) => [1, 5, .. vlm.ImagePlaceholders(vlm.Config.Vision.Grid(6, 8)), 7, 9, 11];

    [Fact]
    public void RandomPrunersKeptTokensCarryTheirOriginalIds()
    {
        var vlm = new Qwen25VlModel(Qwen25VlModelTests.Tiny(), new Generator(1));
        var pixels = Qwen25VlModelTests.Pixels(2);
        var text = Prompt(vlm);
        var random = new RandomPruner(5, seed: 3);
        int[] kept = [];
        var hooks = new PruningHooks(t => { var r = random.Prune(t); kept = r.PatchIndex[0]; return r; }, []);
        using var _ = Autograd.NoGrad();
        var pruned = vlm.Prepare([pixels], [text], hooks);
        var full = vlm.Prepare([pixels], [text]);
        Assert.Equal(5, kept.Length);
        int[] rows = [0, 1, 2, .. kept.Select(j => 3 + j), 15, 16, 17, 18];
        Assert.Equal(PositionPlanes.Keep(full.Positions, 19, [rows]), pruned.Positions);
        Assert.Equal(new ImageSpan(3, 5), pruned.ImageSpans![0]);
    }

    [Fact]
    public void FastVInsideTheLlmKeepsTheIdsOfWhatStays()
    {
        var vlm = new Qwen25VlModel(Qwen25VlModelTests.Tiny(), new Generator(4));
        var pixels = Qwen25VlModelTests.Pixels(5);
        var text = Prompt(vlm);
        var fastV = new FastVPruner(4, 12, vlm.Config.Text.NumLayers);
        using var _ = Autograd.NoGrad();
        var input = vlm.Prepare([pixels], [text], fastV);
        var output = vlm.LanguageModel.Forward(input);
        var keep = Assert.Single(output.Decisions).Keep;
        Assert.Equal(3 + 4 + 4, keep[0].Length);
        Assert.Equal([0, 1, 2], keep[0][..3]);
        Assert.Equal([15, 16, 17, 18], keep[0][^4..]);
        Assert.Equal(PositionPlanes.Keep(input.Positions, 19, keep), output.Positions);
        Assert.Equal(4, vlm.Generate([pixels], [text], fastV, maxNewTokens: 4, eosId: null)[0].Length);
    }
}
