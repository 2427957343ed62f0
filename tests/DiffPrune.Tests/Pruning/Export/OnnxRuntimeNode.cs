using System.Diagnostics;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Pruning.Export;

/// <summary>One output tensor of an ONNX Runtime run: float32 or int64 data with its dims.</summary>
public sealed record OnnxOutput(int[] Dims, float[]? Floats, long[]? Int64s);

/// <summary>
/// Runs ONNX models in ONNX Runtime through node and the npm package onnxruntime-node installed in tools/onnx-check
/// (<c>npm ci --ignore-scripts --prefix tools/onnx-check</c>, as .ci/run does), with tools/onnx-check/run.js.
/// </summary>
public static class OnnxRuntimeNode
{
    static readonly string CheckDir = Path.Combine(SharedData.RepoRoot, "tools", "onnx-check");

    /// <summary>Why ONNX Runtime cannot run here, or null when it can.</summary>
    public static string? Missing { get; } = FindMissing();

    static string? FindMissing()
    {
        if (NodePath == null) return "node is not on PATH (apt-get install nodejs npm)";
        var package = Path.Combine(CheckDir, "node_modules", "onnxruntime-node", "package.json");
        if (!File.Exists(package)) return $"{package} is missing (npm ci --ignore-scripts --prefix tools/onnx-check)";
        return null;
    }

    static string? NodePath => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
        .Select(dir => Path.Combine(dir, "node")).FirstOrDefault(File.Exists);

    /// <summary>Every output of <paramref name="model"/> for each input (fed to its first input), in the model's output order.</summary>
    public static List<OnnxOutput[]> Run(string model, IReadOnlyList<Tensor> inputs, string workDir)
    {
        if (Missing != null) throw new InvalidOperationException(Missing);
        string inPath = Path.Combine(workDir, "inputs.bin"), outPath = Path.Combine(workDir, "outputs.bin");
        WriteInputs(inPath, inputs);
        var start = new ProcessStartInfo(NodePath!, [Path.Combine(CheckDir, "run.js"), model, inPath, outPath])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var node = Process.Start(start)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEnd();
        node.WaitForExit();
        if (node.ExitCode != 0) throw new InvalidOperationException($"node run.js failed ({node.ExitCode}): {stderr}{stdout.Result}");
        return ReadOutputs(outPath, inputs.Count);
    }

    static void WriteInputs(string path, IReadOnlyList<Tensor> inputs)
    {
        using var w = new BinaryWriter(File.Create(path));
        w.Write(inputs.Count);
        foreach (var x in inputs)
        {
            w.Write(x.Rank);
            foreach (int d in x.Shape) w.Write(d);
            foreach (float v in x.Data) w.Write(v);
        }
    }

    static List<OnnxOutput[]> ReadOutputs(string path, int cases)
    {
        using var r = new BinaryReader(File.OpenRead(path));
        var result = new List<OnnxOutput[]>();
        for (int c = 0; c < cases; c++) result.Add([.. Enumerable.Range(0, r.ReadInt32()).Select(_ => ReadOne(r))]);
        if (r.BaseStream.Position != r.BaseStream.Length) throw new InvalidDataException($"{path}: bytes left after {cases} cases");
        return result;
    }

    static OnnxOutput ReadOne(BinaryReader r)
    {
        int type = r.ReadInt32();
        var dims = new int[r.ReadInt32()];
        for (int i = 0; i < dims.Length; i++) dims[i] = r.ReadInt32();
        int n = dims.Aggregate(1, (a, b) => a * b);
        return type switch
        {
            1 => new OnnxOutput(dims, Enumerable.Range(0, n).Select(_ => r.ReadSingle()).ToArray(), null),
            7 => new OnnxOutput(dims, null, Enumerable.Range(0, n).Select(_ => r.ReadInt64()).ToArray()),
            _ => throw new InvalidDataException($"unknown output type {type}"),
        };
    }
}
