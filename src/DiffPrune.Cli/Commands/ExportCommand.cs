using System.CommandLine;
using DiffPrune.Eval;
using DiffPrune.Pruning;
using DiffPrune.Pruning.Export;
using DiffPrune.Tensors;
using DiffPrune.Tensors.IO;

namespace DiffPrune.Cli.Commands;

/// <summary>
/// <c>diffprune export</c>: a trained pruner in a form other stacks run. <c>onnx</c> writes the scorer as an ONNX
/// model (optionally with the hard top-K); <c>reference</c> writes seeded random features and the engine's logits
/// for them, against which a port of the scorer (tools/check_pruner_torch.py) is checked.
/// </summary>
internal static class ExportCommand
{
    static readonly string[] Formats = ["onnx", "reference"];

    public static Command Create()
    {
        var pruner = new Option<DirectoryInfo>("--pruner") { Description = "The pruner folder (diffprune train's pruner/) or the train run folder holding it", Required = true };
        var format = new Option<string>("--format") { Description = "onnx: the scorer as an ONNX model (opset 17); reference: random features and the engine's logits (safetensors)", DefaultValueFactory = _ => "onnx" };
        var output = new Option<FileInfo>("--out") { Description = "File to write (scorer.onnx, reference.safetensors)", Required = true };
        var topK = new Option<int?>("--with-topk") { Description = "onnx: also output the indices of the K highest-scoring tokens, in original order" };
        var tokens = new Option<int>("--tokens") { Description = "reference: tokens per image", DefaultValueFactory = _ => 144 };
        var batch = new Option<int>("--batch") { Description = "reference: images", DefaultValueFactory = _ => 4 };
        var seed = new Option<ulong>("--seed") { Description = "reference: seed of the features", DefaultValueFactory = _ => 0UL };
        var cmd = new Command("export", "Write a trained pruner's scorer as an ONNX model (opset 17, dynamic batch and tokens, optional top-K), or reference logits for checking a port.")
        {
            pruner, format, output, topK, tokens, batch, seed,
        };
        cmd.SetAction(r => Run(r.GetValue(pruner)!, r.GetValue(format)!, r.GetValue(output)!, r.GetValue(topK), r.GetValue(tokens), r.GetValue(batch), r.GetValue(seed)));
        return cmd;
    }

    static int Run(DirectoryInfo prunerDir, string format, FileInfo outFile, int? topK, int tokens, int batch, ulong seed)
    {
        if (!Formats.Contains(format)) throw new ArgumentException($"unknown --format '{format}' (known: {string.Join(", ", Formats)})");
        if (topK != null && format != "onnx") throw new ArgumentException("--with-topk applies to --format onnx only");
        if (topK is < 1) throw new ArgumentException($"--with-topk must be at least 1 (got {topK})");
        if (tokens < 1 || batch < 1) throw new ArgumentException($"--tokens and --batch must be at least 1 (got {tokens} and {batch})");
        if (Directory.Exists(outFile.FullName)) throw new ArgumentException($"--out {outFile.FullName} is a folder: give a file path such as {Path.Combine(outFile.FullName, "scorer.onnx")}");
        var loaded = DiffPrunePruners.Load([prunerDir.FullName]).Pruners;
        if (loaded.Count != 1) throw new ArgumentException($"{prunerDir.FullName} holds {loaded.Count} pruners: give one pruner folder");
        var scorer = loaded[0].Scorer;
        Writing(outFile.FullName, () =>
        {
            if (format == "onnx") ScorerOnnxExport.Save(outFile.FullName, scorer, topK);
            else WriteReference(outFile.FullName, scorer, tokens, batch, seed);
        });
        Console.WriteLine(outFile.FullName);
        return 0;
    }

    /// <summary>Seeded features (B, N, d_v) and the engine's logits (B, N) for them, in one safetensors file.</summary>
    static void WriteReference(string path, TokenScorer scorer, int tokens, int batch, ulong seed)
    {
        var features = Tensor.Randn(new Generator(seed), [batch, tokens, scorer.Width]);
        Tensor logits;
        using (Autograd.NoGrad()) logits = scorer.Forward(features);
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["features"] = features, ["logits"] = logits },
            new Dictionary<string, string> { ["format"] = "diffprune-scorer-reference" });
    }

    /// <summary>Runs <paramref name="write"/> after creating the file's folder; a file system refusal becomes one line naming the file.</summary>
    static void Writing(string path, Action write)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot write {path}: {e.Message}");
        }
    }
}
