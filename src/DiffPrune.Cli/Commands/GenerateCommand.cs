using System.CommandLine;
using System.Diagnostics;
using DiffPrune.Data.Text;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Loaders;
using DiffPrune.Tensors;
using DiffPrune.Tensors.IO;

namespace DiffPrune.Cli.Commands;

/// <summary><c>diffprune generate</c>: text generation with a llama2.c checkpoint (e.g. stories260K).</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model") { Description = "llama2.c checkpoint (.bin), e.g. ../shared/models/stories260K/stories260K.bin", Required = true };
        var tokenizer = new Option<FileInfo?>("--tokenizer") { Description = "llama2.c tokenizer.bin (default: tok<vocab>.bin or tokenizer.bin next to the model)" };
        var prompt = new Option<string>("--prompt") { Description = "Text to continue", DefaultValueFactory = _ => "" };
        var steps = new Option<int>("--steps") { Description = "Total sequence length including the prompt (llama2.c's -n)", DefaultValueFactory = _ => 256 };
        var temperature = new Option<float>("--temperature") { Description = "0 = greedy; otherwise sample at this temperature", DefaultValueFactory = _ => 0f };
        var topK = new Option<int>("--top-k") { Description = "Sample among the K most likely tokens (0 = all)", DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed", DefaultValueFactory = _ => 0UL };
        var noCache = new Option<bool>("--no-cache") { Description = "Recompute the whole sequence every step instead of using the KV cache" };
        var cmd = new Command("generate", "Continue a prompt with a llama2.c-format language model (greedy or sampled).")
        {
            model, tokenizer, prompt, steps, temperature, topK, seed, noCache,
        };
        cmd.SetAction(r => Run(r.GetValue(model)!, r.GetValue(tokenizer), r.GetValue(prompt)!, r.GetValue(steps),
            new SamplingOptions(r.GetValue(temperature), r.GetValue(topK), r.GetValue(seed)), !r.GetValue(noCache)));
        return cmd;
    }

    static int Run(FileInfo modelFile, FileInfo? tokFile, string prompt, int steps, SamplingOptions sampling, bool cache)
    {
        if (steps < 1) throw new ArgumentException($"--steps must be at least 1 (got {steps})");
        if (!float.IsFinite(sampling.Temperature) || sampling.Temperature < 0)
            throw new ArgumentException($"--temperature must be a number ≥ 0 (got {sampling.Temperature}): 0 is greedy, 0.8 a usual sampling temperature");
        if (sampling.TopK < 0) throw new ArgumentException($"--top-k must be ≥ 0 (got {sampling.TopK}): 0 samples among all tokens");
        // both are checked before the model loads, so that a wrong path fails at once
        InputFile.CheckRegular(modelFile.FullName, "llama2.c checkpoint (.bin)");
        if (tokFile != null) InputFile.CheckRegular(tokFile.FullName, "llama2.c tokenizer (tokenizer.bin)");
        var lm = Llama2cCheckpoint.Load(modelFile.FullName);
        int positions = lm.Config.MaxPositionEmbeddings;
        if (steps > positions)
            throw new ArgumentException($"--steps {steps} exceeds the {positions} positions of {modelFile.Name}: give --steps {positions} or fewer");
        var tokPath = tokFile?.FullName ?? FindTokenizer(modelFile, lm.Config.VocabSize);
        var tok = Llama2cTokenizer.Load(tokPath, lm.Config.VocabSize);
        var ids = tok.Encode(prompt);
        if (ids.Length > positions)
            throw new ResourceLimitException($"--prompt is {ids.Length} tokens, more than the {positions} positions of {modelFile.Name}: shorten it");
        int newTokens = Math.Max(steps - ids.Length + 1, 0);
        var sw = Stopwatch.StartNew();
        var prefill = new DecoderInput(lm.Embed(new IntTensor(ids, 1, ids.Length)), Enumerable.Range(0, ids.Length).ToArray());
        var output = newTokens == 0 ? [] : Generation.Generate(lm, prefill, newTokens, sampling, tok.EosId, cache)[0];
        sw.Stop();
        Console.WriteLine(tok.Decode(ids.Concat(output)));
        Console.Error.WriteLine($"{output.Length} tokens in {sw.Elapsed.TotalSeconds:F2} s ({output.Length / Math.Max(sw.Elapsed.TotalSeconds, 1e-9):F1} tokens/s, {(cache ? "KV cache" : "recomputation")})");
        return 0;
    }

    static string FindTokenizer(FileInfo model, int vocab)
    {
        foreach (var name in new[] { $"tok{vocab}.bin", "tokenizer.bin" })
        {
            var path = Path.Combine(model.DirectoryName!, name);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException($"no tokenizer next to {model.FullName} (looked for tok{vocab}.bin and tokenizer.bin); pass --tokenizer");
    }
}
