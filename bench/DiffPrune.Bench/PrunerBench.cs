using DiffPrune.Data.Scenes;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Tensors;
using DiffPrune.Training.Pretraining;

namespace DiffPrune.Bench;

/// <summary>
/// What the deployed pruner costs (scorer + hard top-K gather, batch 1) next to the LLM prefill time it saves, at the
/// SceneBench base VLM's size (N = 144, d_v = 128, K = 16) and at LLaVA-1.5's width (N = 576, d_v = 1024, K = 64).
/// LLaVA-1.5's 7B LLM does not fit in memory here in float32, so its prefill is one Vicuna-7B decoder layer timed at
/// both lengths, times 32 layers (an estimate from a measurement; the LM head is left out).
/// </summary>
internal static class PrunerBench
{
    const int TextTokens = 40; // a LLaVA-style prompt; SceneBench prompts are shorter (≈ 12)

    public static void Run()
    {
        Console.WriteLine("\n## Pruner overhead (scorer + hard top-K gather, batch 1, median of 31 runs) vs. the LLM prefill it saves");
        Console.WriteLine($"{"setting",-28} {"pruner ms",10} {"prefill N ms",13} {"prefill K ms",13} {"saved ms",9} {"overhead/saved",15}");
        var baseCfg = SceneVlm.Config(SceneOptions.Default, 118);
        var lm = new LlamaForCausalLM(baseCfg.Text, new Generator(1));
        Row("base VLM, N=144 d_v=128 K=16", 144, 128, 16, tokens => PrefillMs(lm, tokens, baseCfg.Text.HiddenSize), 12);
        var llava = LlavaConfig.Llava15_7B().Text;
        var layer = new LlamaDecoderLayer(llava, new Generator(2));
        Row("LLaVA-1.5, N=576 d_v=1024 K=64", 576, 1024, 64, tokens => llava.NumLayers * LayerMs(layer, tokens, llava.HiddenSize), TextTokens);
        Console.WriteLine("(LLaVA-1.5 prefill = one Vicuna-7B layer measured at each length × 32 layers.)");
        ScorerEfficiency(LlavaConfig.Llava15_7B(), layer);
    }

    /// <summary>
    /// The scorer at LLaVA-1.5 width against a Vicuna-7B layer beside it, in GFLOP/s, with its share of the FLOPs of
    /// DiffPrune's time to first token (its floor when every part runs equally fast).
    /// </summary>
    static void ScorerEfficiency(LlavaConfig llava, LlamaDecoderLayer layer)
    {
        const int n = 576, keep = 64;
        int dv = llava.Vision.HiddenSize;
        var pruner = new TokenPruner(new TokenScorer(dv, new Generator(3)), new TokenPrunerConfig(dv, dv / 64, 2, keep));
        var tokens = new VisualTokens(Tensor.Randn(new Generator(4), [1, n, dv]), [Enumerable.Range(0, n).ToArray()], new VisionOutput([], []));
        double scorerFlops = 2 * (2.0 * n * (4.0 * dv * dv + 2.0 * dv * 4 * dv) + 4.0 * n * n * dv);
        int prefillTokens = 1 + keep + TextTokens;
        double rest = llava.Vision.Flops(llava.VisionLayersNeeded) + llava.ProjectorFlops(keep) + llava.Text.PrefillFlops(prefillTokens);
        // interleaved rounds: the two are timed side by side, so a busy machine slows both alike
        var scorer = new List<double>();
        var decoder = new List<double>();
        for (int round = 0; round < 3; round++)
        {
            scorer.Add(Timing.MedianSeconds(() => pruner.Prune(tokens), runs: 5, minRunSeconds: 0, warmup: 1));
            decoder.Add(LayerMs(layer, prefillTokens, llava.Text.HiddenSize) / 1e3);
        }
        double scorerGflops = scorerFlops / scorer.Order().ElementAt(1) / 1e9, layerGflops = llava.Text.LayerFlops(prefillTokens) / decoder.Order().ElementAt(1) / 1e9;
        Console.WriteLine($"Scorer at LLaVA-1.5 width (N = {n}, d_v = {dv}, 2 blocks): {scorerFlops / 1e9:F1} GFLOP at {scorerGflops:F0} GFLOP/s; " +
                          $"a Vicuna-7B layer on {prefillTokens} tokens at {layerGflops:F0} GFLOP/s; the scorer is {100 * scorerFlops / (scorerFlops + rest):F2} % " +
                          $"of DiffPrune's time-to-first-token FLOPs (vision, projector, prefill of {prefillTokens} tokens), its share of TTFT at equal speed");
    }

    static void Row(string name, int n, int dv, int keep, Func<int, double> prefillMs, int text)
    {
        var pruner = new TokenPruner(new TokenScorer(dv, new Generator(3)), new TokenPrunerConfig(dv, Math.Max(1, dv / 64), 2, keep));
        var tokens = new VisualTokens(Tensor.Randn(new Generator(4), [1, n, dv]), [Enumerable.Range(0, n).ToArray()], new VisionOutput([], []));
        double prunerMs = 1e3 * Timing.MedianSeconds(() => pruner.Prune(tokens), runs: 31, minRunSeconds: 0);
        double full = prefillMs(1 + n + text), pruned = prefillMs(1 + keep + text);
        Console.WriteLine($"{name,-28} {prunerMs,10:F2} {full,13:F1} {pruned,13:F1} {full - pruned,9:F1} {prunerMs / (full - pruned) * 100,14:F2}%");
    }

    static double PrefillMs(LlamaForCausalLM lm, int tokens, int d)
    {
        var input = new DecoderInput(Tensor.Randn(new Generator(5), [1, tokens, d]), Enumerable.Range(0, tokens).ToArray()) { LastLogitsOnly = true };
        using var _ = Autograd.NoGrad();
        return 1e3 * Timing.MedianSeconds(() => lm.Forward(input), runs: 11, minRunSeconds: 0);
    }

    static double LayerMs(LlamaDecoderLayer layer, int tokens, int d)
    {
        var x = Tensor.Randn(new Generator(6), [1, tokens, d]);
        var positions = Enumerable.Range(0, tokens).ToArray();
        var valid = Enumerable.Repeat(true, tokens).ToArray();
        using var _ = Autograd.NoGrad();
        return 1e3 * Timing.MedianSeconds(() => layer.Forward(x, positions, valid, null, 0), runs: 5, minRunSeconds: 0, warmup: 1);
    }
}
