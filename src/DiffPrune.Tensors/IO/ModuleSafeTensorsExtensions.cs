using DiffPrune.Tensors.Nn;

namespace DiffPrune.Tensors.IO;

/// <summary>Saving a <see cref="Module"/>'s parameters to, and loading them from, a safetensors file by dotted name.</summary>
public static class ModuleSafeTensorsExtensions
{
    /// <summary>Writes every parameter under its dotted name as F32, atomically (see <see cref="SafeTensors.Save"/>).</summary>
    public static void SaveSafeTensors(this Module module, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        SafeTensors.Save(path, module.StateDict(), metadata);
    }

    /// <summary>
    /// Copies the tensors of <paramref name="path"/> into the parameters with the same dotted names, converting F16 and
    /// BF16 to float32. Every parameter must be in the file with its exact shape; with <paramref name="strict"/>, tensors
    /// the module lacks are errors too. Everything is checked against the header before any parameter changes, so a
    /// failed load leaves the module as it was. Only the tensors the module needs are read.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// The file is malformed, or tensors are missing, unexpected (strict) or mis-shaped, or of a dtype that cannot be
    /// read, or a tensor holds NaN or ±∞ (found while filling: the parameters read before it have changed); the message
    /// names the file and each tensor at fault.
    /// </exception>
    public static void LoadSafeTensors(this Module module, string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var file = SafeTensorsFile.Open(path);
        module.LoadSafeTensors([file], strict, path);
    }

    /// <summary>
    /// Loads from several files at once (a sharded checkpoint): each tensor may be in only one of them. Tensors for
    /// which <paramref name="ignore"/> returns true are skipped (e.g. a stored copy of a tied head). Same checks and
    /// errors as the single-file form, naming <paramref name="source"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">A tensor in two files, an unreadable dtype, missing / unexpected / mis-shaped tensors, or non-finite values.</exception>
    public static void LoadSafeTensors(this Module module, IReadOnlyList<SafeTensorsFile> files, bool strict, string source, Func<string, bool>? ignore = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        var owner = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        foreach (var f in files)
            foreach (var name in f.Names)
            {
                if (ignore?.Invoke(name) == true) continue;
                if (!owner.TryAdd(name, f))
                    throw new InvalidDataException($"{source}: tensor '{name}' is in both {Path.GetFileName(owner[name].Path)} and {Path.GetFileName(f.Path)}");
            }
        module.LoadFrom(owner.ToDictionary(kv => kv.Key, kv => kv.Value.ShapeOf(kv.Key)), (name, p) =>
        {
            owner[name].ReadInto(name, p.Data);
            FiniteWeights.Check(p.Data, source, name);
        }, strict, source,
            check: name => owner[name].DTypeOf(name).IsReadable() ? null
                : $"tensor '{name}' has dtype {owner[name].DTypeOf(name).HeaderName()}, expected one of {SafeTensorsDTypes.Readable}");
    }
}
