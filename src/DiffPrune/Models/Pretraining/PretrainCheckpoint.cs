using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tensors.IO;
using DiffPrune.Tensors.Optim;

namespace DiffPrune.Models.Pretraining;

/// <summary>
/// A pretraining checkpoint: one safetensors file (written atomically) holding the VLM (<c>model.*</c>), the stage-0
/// heads (<c>heads.*</c>) and the current stage's AdamW moments (<c>optim.*</c>), with the step, the options, the
/// model config and a SHA-256 of all tensor bytes in its metadata, so that a damaged or foreign file is refused.
/// </summary>
public static class PretrainCheckpoint
{
    const string Format = "diffprune-pretrain-v1";

    /// <summary>What <see cref="Load"/> restores beyond the weights.</summary>
    public sealed record State(int Step, PretrainStage? OptimizerStage, int OptimizerStep, IReadOnlyDictionary<string, Tensor> Moments);

    internal static void Save(string path, Pretrainer trainer, AdamW? optimizer, PretrainStage optimizerStage)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in trainer.Model.NamedParameters()) tensors["model." + name] = t;
        foreach (var (name, t) in trainer.Heads.NamedParameters()) tensors["heads." + name] = t;
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["step"] = trainer.Step.ToString(CultureInfo.InvariantCulture),
            ["options"] = trainer.Options.Describe(),
            ["config"] = HfConfig.ToJson(trainer.Model.Config),
        };
        if (optimizer != null)
        {
            var (step, moments) = optimizer.GetState();
            foreach (var (key, t) in moments) tensors["optim." + key] = t;
            metadata["optimizer_stage"] = optimizerStage.ToString();
            metadata["optimizer_step"] = step.ToString(CultureInfo.InvariantCulture);
        }
        metadata["sha256"] = Digest(tensors);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null) Directory.CreateDirectory(dir);
        SafeTensors.Save(path, tensors, metadata);
    }

    /// <summary>Fills <paramref name="model"/> and <paramref name="heads"/> from <paramref name="path"/> and returns the rest of the state.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">Not a pretraining checkpoint, damaged, or written with other options or another model.</exception>
    public static State Load(string path, LlavaModel model, VisionDenseHeads heads, PretrainOptions options)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no checkpoint at {path}", path);
        var metadata = SafeTensors.ReadMetadata(path);
        if (!metadata.TryGetValue("format", out var format) || format != Format)
            throw new InvalidDataException($"{path} is not a pretraining checkpoint (format '{format ?? "none"}', expected '{Format}')");
        var tensors = SafeTensors.Load(path);
        if (!metadata.TryGetValue("sha256", out var digest) || digest != Digest(tensors))
            throw new InvalidDataException($"{path} is damaged: its tensor bytes do not match the SHA-256 stored when it was written");
        RequireSame(path, "options", metadata, options.Describe());
        RequireSame(path, "config", metadata, HfConfig.ToJson(model.Config));
        model.LoadStateDict(Strip(tensors, "model."), strict: true, source: path);
        heads.LoadStateDict(Strip(tensors, "heads."), strict: true, source: path);
        int step = int.Parse(metadata["step"], CultureInfo.InvariantCulture);
        if (!metadata.TryGetValue("optimizer_stage", out var stage)) return new State(step, null, 0, new Dictionary<string, Tensor>());
        return new State(step, Enum.Parse<PretrainStage>(stage), int.Parse(metadata["optimizer_step"], CultureInfo.InvariantCulture), Strip(tensors, "optim."));
    }

    static void RequireSame(string path, string key, IReadOnlyDictionary<string, string> metadata, string expected)
    {
        var stored = metadata.GetValueOrDefault(key) ?? "";
        if (stored == expected) return;
        var a = stored.Split('\n');
        var b = expected.Split('\n');
        int i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i]) i++;
        throw new InvalidDataException($"{path} was written with other {key}: it has '{(i < a.Length ? a[i].Trim() : "")}' where this run has '{(i < b.Length ? b[i].Trim() : "")}'");
    }

    static Dictionary<string, Tensor> Strip(Dictionary<string, Tensor> tensors, string prefix) =>
        tensors.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(p => p.Key[prefix.Length..], p => p.Value);

    static string Digest(IReadOnlyDictionary<string, Tensor> tensors)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, t) in tensors.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(name));
            sha.AppendData(MemoryMarshal.AsBytes(t.Data));
        }
        return Convert.ToHexString(sha.GetHashAndReset());
    }
}
