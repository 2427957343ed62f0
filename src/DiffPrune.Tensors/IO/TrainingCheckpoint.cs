using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using DiffPrune.Tensors.Nn;
using DiffPrune.Tensors.Optim;

namespace DiffPrune.Tensors.IO;

/// <summary>
/// A training run's state in one safetensors file, written atomically: named modules (<c>{prefix}.{parameter}</c>),
/// the optimizer's moments (<c>optim.*</c>) and step, and string metadata: a format tag, the facts a resume must
/// agree with (options, model config) and a SHA-256 of all tensor bytes, so that a damaged, foreign or mismatched
/// file is refused with a message that says which.
/// </summary>
public static class TrainingCheckpoint
{
    const string OptimizerPrefix = "optim.";

    /// <summary>What <see cref="Load"/> returns besides the weights it fills in.</summary>
    /// <param name="Metadata">All metadata strings.</param>
    /// <param name="OptimizerStep">The optimizer's step count (0 when none was saved).</param>
    /// <param name="Moments">The optimizer's moments (empty when none was saved).</param>
    public sealed record Contents(IReadOnlyDictionary<string, string> Metadata, int OptimizerStep, IReadOnlyDictionary<string, Tensor> Moments)
    {
        /// <summary>True when the file holds optimizer state.</summary>
        public bool HasOptimizer => Moments.Count > 0;
    }

    /// <summary>Writes <paramref name="modules"/> (prefix → module), the optimizer (if any) and <paramref name="metadata"/> to <paramref name="path"/>.</summary>
    public static void Save(string path, string format, IReadOnlyDictionary<string, Module> modules, AdamW? optimizer, IReadOnlyDictionary<string, string> metadata)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (prefix, module) in modules)
            foreach (var (name, t) in module.NamedParameters()) tensors[prefix + "." + name] = t;
        var meta = new Dictionary<string, string>(metadata) { ["format"] = format };
        if (optimizer != null)
        {
            var (step, moments) = optimizer.GetState();
            foreach (var (key, t) in moments) tensors[OptimizerPrefix + key] = t;
            meta["optimizer_step"] = step.ToString(CultureInfo.InvariantCulture);
        }
        meta["sha256"] = Digest(tensors);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null) Directory.CreateDirectory(dir);
        SafeTensors.Save(path, tensors, meta);
    }

    /// <summary>
    /// Checks <paramref name="path"/> (format, digest, every <paramref name="mustMatch"/> entry) and fills
    /// <paramref name="modules"/> from it (strict: missing, unexpected or mis-shaped tensors are named).
    /// </summary>
    /// <exception cref="FileNotFoundException">No file.</exception>
    /// <exception cref="InvalidDataException">Another format, damaged bytes, or a mismatch (names the first differing line).</exception>
    public static Contents Load(string path, string format, IReadOnlyDictionary<string, Module> modules, IReadOnlyDictionary<string, string> mustMatch)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no checkpoint at {path}", path);
        var metadata = SafeTensors.ReadMetadata(path);
        if (!metadata.TryGetValue("format", out var found) || found != format)
            throw new InvalidDataException($"{path} is not a {format} checkpoint (format '{found ?? "none"}')");
        var tensors = SafeTensors.Load(path);
        if (!metadata.TryGetValue("sha256", out var digest) || digest != Digest(tensors))
            throw new InvalidDataException($"{path} is damaged: its tensor bytes do not match the SHA-256 stored when it was written");
        foreach (var (key, expected) in mustMatch) RequireSame(path, key, metadata.GetValueOrDefault(key) ?? "", expected);
        foreach (var (prefix, module) in modules) module.LoadStateDict(Strip(tensors, prefix + "."), strict: true, source: path);
        int step = metadata.TryGetValue("optimizer_step", out var s) ? int.Parse(s, CultureInfo.InvariantCulture) : 0;
        return new Contents(metadata, step, Strip(tensors, OptimizerPrefix));
    }

    static void RequireSame(string path, string key, string stored, string expected)
    {
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
