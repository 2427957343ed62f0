using System.Diagnostics;
using DiffPrune.Data.Text;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Bench;

/// <summary>Model-level benchmarks: stories260K decoding speed and VLM prefill with and without pruning.</summary>
internal static class ModelBench
{
    public static void Run()
    {
        Stories260K();
        VlmPrefill();
    }

    static void Stories260K()
    {
        var path = Path.GetFullPath(Path.Combine(FindRepoRoot(), "..", "shared", "models", "stories260K", "stories260K.bin"));
        Console.WriteLine("\n## stories260K decoding (greedy, batch 1, 256 positions)");
        if (!File.Exists(path))
        {
            Console.WriteLine($"skipped: {path} not found");
            return;
        }
        var lm = Llama2cCheckpoint.Load(path);
        int[] prompt = [1, 410, 469, 347];
        foreach (bool cache in new[] { true, false })
        {
            var times = new List<double>();
            int produced = 0;
            for (int rep = 0; rep < 4; rep++)
            {
                var input = new DecoderInput(lm.Embed(new IntTensor(prompt, 1, prompt.Length)), [0, 1, 2, 3]);
                var sw = Stopwatch.StartNew();
                produced = Generation.Generate(lm, input, 253, SamplingOptions.Greedy, useCache: cache)[0].Length;
                times.Add(sw.Elapsed.TotalSeconds);
            }
            double best = Timing.Median(times.Skip(1).ToList());
            Console.WriteLine($"{(cache ? "KV cache     " : "recomputation")}  {produced / best,8:F0} tokens/s  ({produced} tokens in {best * 1000:F0} ms, median of 3 after warm-up)");
        }
        TokenizeLongPrompt(Path.Combine(Path.GetDirectoryName(path)!, "tok512.bin"), lm.Config.VocabSize);
    }

    /// <summary>A 100 KB prompt through stories260K's BPE tokenizer (its merge loop was once quadratic in the prompt).</summary>
    static void TokenizeLongPrompt(string tokenizerPath, int vocabSize)
    {
        var tokenizer = Llama2cTokenizer.Load(tokenizerPath, vocabSize);
        var text = string.Concat(Enumerable.Repeat("Once upon a time, a little dog found a big red ball in the park. ", 1_600))[..100_000];
        var times = new List<double>();
        int count = 0;
        for (int rep = 0; rep < 4; rep++)
        {
            var sw = Stopwatch.StartNew();
            count = tokenizer.Encode(text).Length;
            times.Add(sw.Elapsed.TotalSeconds);
        }
        Console.WriteLine($"tokenizer    100,000 characters → {count:N0} tokens in {Timing.Median(times.Skip(1).ToList()) * 1000:F0} ms (median of 3 after warm-up)");
    }

    /// <summary>A mid-size VLM: ViT d=256 × 6 layers at 48 px / 4 px patches (N = 144), LLaMA d=512 × 8 layers.</summary>
    public static LlavaConfig MidSizeVlm() => new()
    {
        Vision = new VisionConfig { ImageSize = 48, PatchSize = 4, HiddenSize = 256, IntermediateSize = 1024, NumLayers = 6, NumHeads = 4, HiddenAct = Activation.QuickGelu },
        Text = new LlamaConfig { VocabSize = 1024, HiddenSize = 512, IntermediateSize = 1376, NumLayers = 8, NumHeads = 8, NumKvHeads = 8, TieWordEmbeddings = false },
        ImageTokenId = 3,
    };

    static void VlmPrefill()
    {
        var cfg = MidSizeVlm();
        var vlm = new LlavaModel(cfg, new Generator(1));
        int n = cfg.Vision.NumPatches;
        var text = new[] { new[] { 1 }.Concat([3]).Concat(Enumerable.Range(10, 31)).ToArray() }; // 1 + image + 31 text tokens
        var pixels = Tensor.Randn(new Generator(2), [1, 3, 48, 48]);
        Console.WriteLine($"\n## VLM prefill, batch 1 (ViT {cfg.Vision.HiddenSize}×{cfg.Vision.NumLayers}, LLaMA {cfg.Text.HiddenSize}×{cfg.Text.NumLayers}, {text[0].Length - 1} text tokens)");
        using var _ = Autograd.NoGrad();
        var inference = new VlmInference(vlm);
        var full = inference.Prepare(pixels, text);
        var keep16 = Enumerable.Range(0, n).Where(i => i % 9 == 0).ToArray(); // 16 of 144
        var pruned = inference.Prepare(pixels, text, PruningHooks.Before(t => t.Select([keep16])));
        int start = full.ImageSpans![0].Start, total = full.Positions.Length;
        var keepInLlm = Enumerable.Range(0, total).Where(i => i < start || i >= start + n || keep16.Contains(i - start)).ToArray();
        double flopsFull = cfg.Text.PrefillFlops(total), flopsPruned = cfg.Text.PrefillFlops(pruned.Positions.Length);
        double tFull = TimePrefill(vlm.LanguageModel, full, [], out long kvFull);
        double tPruned = TimePrefill(vlm.LanguageModel, pruned, [], out long kvPruned);
        double tInLlm = TimePrefill(vlm.LanguageModel, full, [new FixedTokenDropper(2, [keepInLlm], total)], out long kvInLlm);
        Console.WriteLine($"{"setting",-34} {"tokens",7} {"prefill ms",11} {"speedup",8} {"KV floats",11} {"GFLOPs",8}");
        Console.WriteLine($"{"N = 144 (unpruned)",-34} {total,7} {tFull,11:F2} {1.0,8:F2} {kvFull,11} {flopsFull / 1e9,8:F2}");
        Console.WriteLine($"{"N = 16, pre-LLM (16 of 144 kept)",-34} {pruned.Positions.Length,7} {tPruned,11:F2} {tFull / tPruned,8:F2} {kvPruned,11} {flopsPruned / 1e9,8:F2}");
        Console.WriteLine($"{"N = 16 from layer 2 (in-LLM drop)",-34} {keepInLlm.Length,7} {tInLlm,11:F2} {tFull / tInLlm,8:F2} {kvInLlm,11} {"",8}");
        Console.WriteLine($"FLOPs ratio unpruned/pre-LLM: {flopsFull / flopsPruned:F2}×");
    }

    static double TimePrefill(LlamaForCausalLM lm, DecoderInput input, ITokenDropper[] droppers, out long kvFloats)
    {
        var times = new List<double>();
        kvFloats = 0;
        for (int rep = 0; rep < 13; rep++)
        {
            var cache = new KvCache(lm.Config.NumLayers, 1);
            var sw = Stopwatch.StartNew();
            lm.Forward(input with { Cache = cache, Droppers = droppers, LastLogitsOnly = true });
            if (rep >= 3) times.Add(sw.Elapsed.TotalMilliseconds);
            kvFloats = cache.FloatCount;
        }
        return Timing.Median(times);
    }

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DiffPrune.slnx"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
