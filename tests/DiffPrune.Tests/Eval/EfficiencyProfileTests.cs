using System.Text.Json;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Eval;
using DiffPrune.Eval.Profiling;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors;
using DiffPrune.Tests.Models;
using DiffPrune.Training.Pretraining;

namespace DiffPrune.Tests.Eval;

public class EfficiencyProfileTests
{
    static readonly WordTokenizer Tok = WordTokenizer.ForSceneBench();

    static LlavaModel Vlm() => new(TinyModels.SceneLlava(), new Generator(5));

    [Fact]
    public void ATiledModelIsProfiledOnAHighResolutionSceneWithoutTheMethodsThatReadAttentionMaps()
    {
        var vlm = new LlavaModel(SceneVlm.AnyRes(TinyModels.SceneLlava()), new Generator(5));
        var table = EfficiencyProfile.ForModel(vlm, Tok, "tiny-next", MethodSelection.All(), 1.0 / 9, runs: 1, warmup: 1, bench: SceneBenchConfiguration.Dense).Run();
        Assert.Equal((720, 80), (table.VisualTokens, table.Keep));
        Assert.DoesNotContain(table.Rows, r => r.Method is "VisionZip" or "HoloV" or "PruneSID");
        Assert.Contains(table.Notes, n => n.StartsWith("Left out:") && n.Contains("VisionZip") && n.Contains("HoloV") && n.Contains("PruneSID"));
        var scene = new SceneBench(SceneVlm.Scenes(SceneBenchConfiguration.Dense, vlm.Config)).Split(SceneSplit.Test, 1).First();
        int text = ScenePrompt.PromptIds(Tok, scene.ItemsOf(SceneSuite.VqaV2).First().Prompt).Length - 1;
        // the pruned image keeps 80 tokens and the newlines of the rows they sit in are dropped with the rest
        Assert.All(table.Rows.Single(r => r.Method == "Random").Schedule.LayerTokens, t => Assert.InRange(t, 80 + text, 80 + 24 + text));
        Assert.Equal(720 + 24 + text, table.Rows[0].Schedule.LayerTokens[0]);
    }

    [Fact]
    public void ProfilesVanillaTheMethodsAndDiffPruneInTable4Layout()
    {
        var profile = EfficiencyProfile.ForModel(Vlm(), Tok, "tiny", MethodSelection.Parse("random,fastv", null), 1.0 / 9, runs: 2, warmup: 1);
        Assert.Equal(["Vanilla", "Random", "FastV", EfficiencyProfile.UntrainedLabel], profile.Methods.Select(m => m.Label));
        Assert.Equal(4 + 1 + 2, profile.Steps);
        Assert.Throws<InvalidOperationException>(() => profile.Table());
        var steps = new List<string>();
        var table = profile.Run(steps.Add);
        Assert.Equal(7, steps.Count);
        Assert.Equal("tiny", table.Title[(table.Title.IndexOf('(') + 1)..^1]);
        Assert.Equal((144, 16), (table.VisualTokens, table.Keep));
        var (vanilla, random, fastV, diffPrune) = (table.Rows[0], table.Rows[1], table.Rows[2], table.Rows[3]);
        Assert.Equal([144, 16, 16, 16], table.Rows.Select(r => r.Keep));
        Assert.Equal(0, vanilla.PrunerMs);
        Assert.All(table.Rows, r => Assert.Equal(r.EncodeMs + r.PrunerMs + r.PrefillMs, r.TtftMs, 12));
        Assert.Equal(1.0, table.Speedup(vanilla));
        Assert.True(random.Flops.Total < fastV.Flops.Total && fastV.Flops.Total < vanilla.Flops.Total);
        Assert.Equal(random.Flops.Total, diffPrune.Flops.Total);
        int text = ScenePrompt.PromptIds(Tok, new SceneBench().Split(SceneSplit.Test, 1).First().ItemsOf(SceneSuite.VqaV2).First().Prompt).Length - 1;
        Assert.Equal([16 + text, 16 + text], random.Schedule.LayerTokens.Distinct().Concat(diffPrune.Schedule.LayerTokens.Distinct()));
        Assert.Equal([144 + text, 16 + text], fastV.Schedule.LayerTokens);
        Assert.Equal(vanilla.Flops.Prefill / random.Flops.Prefill, table.PrefillFlopsRatio(random), 12);

        var md = ProfileReport.Markdown([table]);
        Assert.Contains("| Method | Loc. | K | FLOPs (G) | Enc. | Pruner | Prefill | TTFT | Speedup |", md);
        Assert.Contains($"| {EfficiencyProfile.UntrainedLabel} | Pre | 16 |", md);
        var headline = ProfileReport.Headline(table)!;
        Assert.StartsWith($"At 88.9 % pruning (K = 16 of 144), {EfficiencyProfile.UntrainedLabel}'s measured prefill speedup is", headline);
        Assert.Contains("prefill FLOPs ratio of", headline);
        Assert.Contains("% of its TTFT", headline);
        using var json = JsonDocument.Parse(ProfileReport.Json([table]));
        var rows = json.RootElement.GetProperty("settings")[0].GetProperty("rows");
        Assert.Equal(4, rows.GetArrayLength());
        Assert.Equal(1.0, rows[0].GetProperty("speedup").GetDouble());
        Assert.Equal(fastV.Flops.Total, rows[2].GetProperty("flops").GetProperty("total").GetDouble());
    }

    /// <summary>FastV whose stage counts its decisions.</summary>
    sealed class CountedFastV(int keep, int n, int depth) : IPruningMethod
    {
        readonly Counted _stage = new(new FastVPruner(keep, n, depth));
        public int Decisions => _stage.Calls;
        public string Name => "counted";
        public string Location => "L1";
        public int Keep => keep;
        public bool NeedsVisionAttentions => false;
        public bool NeedsText => true;
        public Func<VisualTokens, VisualTokens>? PreLlm => null;
        public IReadOnlyList<ITokenDropper> Droppers => [_stage];

        sealed class Counted(ITokenDropper inner) : ITokenDropper
        {
            public int Calls;
            public int Layer => inner.Layer;
            public bool NeedsAttention => inner.NeedsAttention;
            public TokenDropDecision Decide(TokenDropContext context)
            {
                Calls++;
                return inner.Decide(context);
            }
        }
    }

    [Fact]
    public void InLlmDecisionsAreTimedApartFromThePrefillThatReplaysThem()
    {
        var vlm = Vlm();
        var method = new CountedFastV(16, 144, 2);
        var image = new SceneBench().Split(SceneSplit.Test, 1).First().Scene.Image;
        const string question = "what color is the circle?";
        var profile = EfficiencyProfile.ForImage(vlm, Tok, "t", "one image", image, question,
            [MethodSelection.Vanilla, new ComparedMethod("counted", _ => method)], 16, runs: 3, warmup: 2);
        var table = profile.Run();
        // one decision when set up, then one per round for the Pruner column; the 5 prefill rounds replay it
        Assert.Equal(1 + 2 + 3, method.Decisions);
        Assert.True(table.Rows[1].PrunerMs > 0);
        int text = ScenePrompt.PromptIds(Tok, question).Length - 1;
        Assert.Equal([144 + text, 16 + text], table.Rows[1].Schedule.LayerTokens);
    }

    [Fact]
    public void TheTimerCallsSharedWorkOnceARoundAndReportsMedians()
    {
        var timer = new InterleavedTimer();
        int a = 0, b = 0;
        timer.Add("a", () => a++);
        timer.Add("a", () => b++);   // same key: the first operation stays
        timer.Add("b", () => Thread.Sleep(2));
        timer.Round(timed: false);
        for (int r = 0; r < 3; r++) timer.Round(timed: true);
        Assert.Equal((4, 0), (a, b));
        Assert.True(timer.MedianMs("b") >= 1.5);
        Assert.Throws<InvalidOperationException>(() => timer.MedianMs("c"));
    }

    [Fact]
    public void PrunersOfAnotherWidthAreRejected()
    {
        using var dir = new DiffPrune.Tests.Data.TempDirectory();
        new TokenPruner(new TokenScorer(24, new Generator(1), heads: 2), new TokenPrunerConfig(24, 2, 2, 16)).Save(dir.Path);
        var selection = MethodSelection.All(DiffPrunePruners.Load([dir.Path]));
        var e = Assert.Throws<ArgumentException>(() => EfficiencyProfile.ForModel(Vlm(), Tok, "tiny", selection, 1.0 / 9));
        Assert.Contains("width 24", e.Message);
        Assert.Throws<ArgumentException>(() => new LlavaWidthOptions(DecoderLayers: 1).Validate());
        Assert.Throws<ArgumentException>(() => new LlavaWidthOptions(VisionLayers: 1).Validate());
    }
}
