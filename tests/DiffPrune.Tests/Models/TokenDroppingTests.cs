using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Models;

/// <summary>The in-LLM hook's extensions for the baselines: merging decisions, what a dropper's context holds, the layer's keys.</summary>
public class TokenDroppingTests
{
    static readonly int[][] Text = [[1, 5, 3, 9, 12, 7]];

    [Fact]
    public void GatherAveragesEachSlotOverItsKeptTokenAndTheTokensMergedIntoIt()
    {
        var hidden = Tensor.FromArray([1, 10, 2, 20, 3, 30, 4, 40, /* sample 1 */ 5, 50, 6, 60, 7, 70, 8, 80], 2, 4, 2);
        var decision = new TokenDropDecision([[0, 2], [1, 3]], [[-1, 1, -1, 1], [0, -1, -1, -1]]);
        var kept = decision.Gather(hidden);
        Assert.Equal([2, 2, 2], kept.Shape);
        // sample 0: slot 0 = token 0; slot 1 = mean(tokens 1, 2, 3); sample 1: slot 0 = mean(tokens 0, 1), slot 1 = token 3 (token 2 dropped)
        Assert.Equal([1, 10, 3, 30, 5.5f, 55, 8, 80], kept.ToArray());
        Assert.Equal([1, 10, 3, 30, 5, 50, 7, 70], new TokenDropDecision([[0, 2], [0, 2]]).Gather(hidden).ToArray());
    }

    [Fact]
    public void BadDecisionsAreNamed()
    {
        var hidden = Tensor.Zeros(1, 4, 2);
        Assert.Contains("ascending", Assert.Throws<ArgumentException>(() => new TokenDropDecision([[2, 1]]).Gather(hidden)).Message);
        Assert.Contains("slot 2", Assert.Throws<ArgumentException>(() => new TokenDropDecision([[0, 1]], [[-1, -1, 2, -1]]).Gather(hidden)).Message);
        Assert.Contains("kept token 1", Assert.Throws<ArgumentException>(() => new TokenDropDecision([[0, 1]], [[-1, 0, -1, -1]]).Gather(hidden)).Message);
        Assert.Contains("4 tokens", Assert.Throws<ArgumentException>(() => new TokenDropDecision([[0, 1]], [[-1, -1]]).Gather(hidden)).Message);
    }

    [Fact]
    public void AMergingDropperFeedsTheLaterLayersTheMeansAtTheKeptPositions()
    {
        var vlm = new LlavaModel(TinyModels.Llava(), new Generator(11));
        var lm = vlm.LanguageModel;
        using var _ = Autograd.NoGrad();
        var prompt = new VlmInference(vlm).Prepare(TinyModels.Pixels(1, 12), Text);
        int t = prompt.Positions.Length, start = prompt.ImageSpans![0].Start;
        var spy = new SpyDropper(2);
        lm.Forward(prompt with { Droppers = [spy] });
        var atLayer2 = spy.Seen!.Hidden;

        // keep image tokens 3 and 9; tokens 4..8 merge into 3, the other image tokens are dropped
        var keep = Enumerable.Range(0, t).Where(j => j < start || j >= start + 16 || j == start + 3 || j == start + 9).ToArray();
        var into = Enumerable.Repeat(-1, t).ToArray();
        for (int j = 4; j <= 8; j++) into[start + j] = Array.IndexOf(keep, start + 3);
        var decision = new TokenDropDecision([keep], [into]);
        var merged = lm.Forward(prompt with { Droppers = [new FixedTokenDropper(2, decision, t)] });

        // reference: the mean done by hand, then layers 2 and 3, the norm and the head
        var h = decision.Gather(atLayer2);
        var positions = keep.Select(j => prompt.Positions[j]).ToArray();
        var valid = Enumerable.Repeat(true, keep.Length).ToArray();
        for (int l = 2; l < lm.Config.NumLayers; l++) h = lm.Model.Layers[l].Forward(h, positions, valid, null, l).Output;
        var reference = lm.Head(lm.Model.Norm.Forward(h));
        Tolerance.AssertClose(reference.Data, merged.Logits.Data, atol: 1e-5, rtol: 0, what: "logits after merging");
        Assert.Equal(positions, merged.Positions);
        Assert.Equal(new ImageSpan(start, 2), merged.ImageSpans![0]);

        var sampling = new SamplingOptions(1f, 8, Seed: 3);
        var replay = prompt with { Droppers = [new FixedTokenDropper(2, decision, t)] };
        Assert.Equal(Generation.Generate(lm, replay, 6, sampling, useCache: false), Generation.Generate(lm, replay, 6, sampling, useCache: true));
    }

    [Fact]
    public void TheContextHoldsThePreviousLayersInputAndAttentionAndTheDecoderInput()
    {
        var vlm = new LlavaModel(TinyModels.Llava(), new Generator(13));
        var lm = vlm.LanguageModel;
        using var _ = Autograd.NoGrad();
        var prompt = new VlmInference(vlm).Prepare(TinyModels.Pixels(1, 14), Text);
        var spy = new SpyDropper(2, needsAttention: true);
        lm.Forward(prompt with { Droppers = [spy] });
        var seen = spy.Seen!;
        Assert.Same(prompt.Embeds, seen.Input.Embeds);
        var (output, probs) = lm.Model.Layers[1].Forward(seen.PreviousInput, seen.Positions, seen.Valid, null, 1, returnProbs: true);
        Tolerance.AssertClose(output.Data, seen.Hidden.Data, atol: 0, rtol: 0, what: "layer 1 of the previous input");
        Tolerance.AssertClose(probs!.Data, seen.Attention!.Data, atol: 0, rtol: 0, what: "layer 1's attention");
    }

    [Fact]
    public void KeysAreWhatTheKvCacheHolds()
    {
        var lm = TinyModels.RandomLlama(seed: 5);
        using var _ = Autograd.NoGrad();
        var prompt = TinyModels.Prompt(lm, [1, 4, 9, 2, 7]);
        var cache = new KvCache(lm.Config.NumLayers, 1);
        var spy = new SpyDropper(3);
        lm.Forward(prompt with { Cache = cache, Droppers = [spy], ImageSpans = [new ImageSpan(1, 2)] });
        var layer = lm.Model.Layers[2];
        var keys = layer.SelfAttn.Keys(layer.InputLayerNorm.Forward(spy.Seen!.PreviousInput), spy.Seen.Positions);
        Tolerance.AssertClose(cache[2].Keys!.Data, keys.Data, atol: 0, rtol: 0, what: "layer 2 keys");
    }

    [Fact]
    public void TwoStagesAtOneLayerAreRejected()
    {
        var lm = TinyModels.RandomLlama();
        var prompt = TinyModels.Prompt(lm, [1, 4, 9]) with { ImageSpans = [new ImageSpan(1, 1)], Droppers = [new SpyDropper(2), new SpyDropper(2)] };
        Assert.Contains("two token droppers at layer 2", Assert.Throws<ArgumentException>(() => lm.Forward(prompt)).Message);
    }

    [Fact]
    public void VisualTokensMergeIntoTheirTargetsPatch()
    {
        var tokens = new VisualTokens(Tensor.FromArray([0, 2, 4, 6], 1, 4, 1), [[0, 1, 2, 3]], new VisionOutput([], null));
        var merged = tokens.Merge(new TokenDropDecision([[1, 3]], [[0, -1, 1, -1]]));
        Assert.Equal([[1, 3]], merged.PatchIndex);
        Assert.Equal([1, 5], merged.Features.ToArray());
    }
}
