using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using DiffPrune.Tensors.Blas;
using DiffPrune.Tensors.Nn;
using DiffPrune.Tensors.Optim;

namespace DiffPrune.Tensors.IO;

/// <summary>A training run's state in one safetensors file, written atomically: named modules (<c>{prefix}.{parameter}</c>),
/// the optimizer's moments (<c>optim.*</c>) and step, the run's step, and string metadata: a format tag, the run's identity
/// (what a resume must agree with: options, model config and, for a run that trains through a frozen model, the digest of
/// that model's weights) and a SHA-256 of all tensor bytes, so that a damaged, foreign or mismatched file (also another
/// frozen model of the same architecture) is refused with one line that says which. <c>modules</c> maps a prefix to a
/// trained module; <c>identity</c> maps a key to what a resume must match; <c>frozen</c> is the model they train through.</summary>
public sealed class TrainingCheckpoint(string format, IReadOnlyDictionary<string, Module> modules, IReadOnlyDictionary<string, string> identity, Module? frozen = null)
{
    const string OptimizerPrefix = "optim.";

    readonly Dictionary<string, string> _identity = frozen == null ? new(identity) : new(identity)
    {
        ["frozen_weights_sha256"] = Digest(frozen.NamedParameters().ToDictionary(p => p.Name, p => p.Value)),
    };

    /// <summary>The checkpoint path in run folder <paramref name="dir"/> (<c>checkpoint.safetensors</c>).</summary>
    /// <exception cref="ArgumentException">A fresh run (not <paramref name="resume"/>) into a folder that holds a checkpoint.</exception>
    public static string InFolder(string dir, bool resume)
    {
        var path = Path.Combine(dir, "checkpoint.safetensors");
        if (!resume && File.Exists(path)) throw new ArgumentException($"{path} exists: resume that run (--resume), or choose another folder (--out)");
        return path;
    }

    /// <summary>What <see cref="Load"/> returns besides the weights it fills in.</summary>
    /// <param name="Metadata">All metadata strings.</param>
    /// <param name="OptimizerStep">The optimizer's step count (0 when none was saved).</param>
    /// <param name="Moments">The optimizer's moments (empty when none was saved).</param>
    /// <param name="GemmNote">A line for the user when the GEMM backend the run was written with was taken again or could not be (see <see cref="Gemm.Adopt"/>), else null.</param>
    public sealed record Contents(IReadOnlyDictionary<string, string> Metadata, int OptimizerStep, IReadOnlyDictionary<string, Tensor> Moments, string? GemmNote)
    {
        /// <summary>True when the file holds optimizer state.</summary>
        public bool HasOptimizer => Moments.Count > 0;
    }

    /// <summary>Writes the modules, <paramref name="optimizer"/> (if any), <paramref name="step"/> and <paramref name="extra"/> metadata to <paramref name="path"/>.</summary>
    public void Save(string path, int step, AdamW? optimizer, params (string Key, string Value)[] extra)
    {
        var meta = new Dictionary<string, string>(_identity) { ["step"] = step.ToString(CultureInfo.InvariantCulture) };
        foreach (var (key, value) in extra) meta[key] = value;
        meta["format"] = format;
        meta["gemm"] = Gemm.Tag;
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (prefix, module) in modules)
            foreach (var (name, t) in module.NamedParameters()) tensors[prefix + "." + name] = t;
        if (optimizer != null)
        {
            var (optimizerStep, moments) = optimizer.GetState();
            foreach (var (key, t) in moments) tensors[OptimizerPrefix + key] = t;
            meta["optimizer_step"] = optimizerStep.ToString(CultureInfo.InvariantCulture);
        }
        meta["sha256"] = Digest(tensors);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null) Directory.CreateDirectory(dir);
        SafeTensors.Save(path, tensors, meta);
    }

    /// <summary>Checks <paramref name="path"/> (format, digest, identity), fills the modules from it (strict: missing, unexpected or
    /// mis-shaped tensors are named) and returns the step and the rest. Switches this process to the GEMM backend the file was
    /// written with when it can and <paramref name="continuesRun"/> (<see cref="Gemm.Adopt"/>): the continued run then computes as an
    /// uninterrupted one.</summary>
    /// <exception cref="FileNotFoundException">No file.</exception>
    /// <exception cref="InvalidDataException">Another format, damaged bytes, or a mismatch (names the first differing line).</exception>
    public (int Step, Contents Contents) Load(string path, bool continuesRun = true)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no checkpoint at {path}", path);
        var metadata = SafeTensors.ReadMetadata(path);
        if (!metadata.TryGetValue("format", out var found) || found != format)
            throw new InvalidDataException($"{path} is not a {format} checkpoint (format '{found ?? "none"}')");
        var tensors = SafeTensors.Load(path);
        if (!metadata.TryGetValue("sha256", out var digest) || digest != Digest(tensors))
            throw new InvalidDataException($"{path} is damaged: its tensor bytes do not match the SHA-256 stored when it was written");
        foreach (var (key, expected) in _identity) RequireSame(path, key, metadata.GetValueOrDefault(key) ?? "", expected);
        foreach (var (prefix, module) in modules) module.LoadStateDict(Strip(tensors, prefix + "."), strict: true, source: path);
        int optimizerStep = metadata.TryGetValue("optimizer_step", out var s) ? int.Parse(s, CultureInfo.InvariantCulture) : 0;
        if (!int.TryParse(metadata.GetValueOrDefault("step") ?? "0", NumberStyles.Integer, CultureInfo.InvariantCulture, out int step))
            throw new InvalidDataException($"{path}: its step '{metadata["step"]}' is not a number");
        string? gemmNote = continuesRun && metadata.TryGetValue("gemm", out var gemm) ? Gemm.Adopt(gemm) : null;
        return (step, new Contents(metadata, optimizerStep, Strip(tensors, OptimizerPrefix), gemmNote));
    }

    /// <summary>Refuses to continue a run whose stored <paramref name="key"/> (options, config: <c>name = value</c> lines) differs from this
    /// run's, naming the first line that differs.</summary>
    /// <exception cref="InvalidDataException">"{path} was written with other {key}: it has '…' where this run has '…'".</exception>
    public static void RequireSame(string path, string key, string stored, string expected)
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

    /// <summary>SHA-256 (hex) of the names and float bytes of <paramref name="tensors"/> in name order: a checkpoint's digest,
    /// and the identity of a frozen model's weights.</summary>
    public static string Digest(IReadOnlyDictionary<string, Tensor> tensors)
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
