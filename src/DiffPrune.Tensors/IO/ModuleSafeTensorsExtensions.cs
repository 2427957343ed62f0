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
    /// Loads from several files at once (a sharded checkpoint): each tensor may be in only one of them. A stored name
    /// is mapped to the module's by <paramref name="rename"/> (e.g. another version's layout; identity when null), and
    /// tensors for which <paramref name="ignore"/> returns true on the mapped name are skipped (e.g. a stored copy of a
    /// tied head). Same checks and errors as the single-file form, naming <paramref name="source"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">A tensor in two files, an unreadable dtype, missing / unexpected / mis-shaped tensors, or non-finite values.</exception>
    public static void LoadSafeTensors(this Module module, IReadOnlyList<SafeTensorsFile> files, bool strict, string source, Func<string, bool>? ignore = null,
        Func<string, string>? rename = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        var owner = new Dictionary<string, (SafeTensorsFile File, string Stored)>(StringComparer.Ordinal);
        foreach (var f in files)
            foreach (var stored in f.Names)
            {
                string name = rename?.Invoke(stored) ?? stored;
                if (ignore?.Invoke(name) == true) continue;
                if (!owner.TryAdd(name, (f, stored)))
                    throw new InvalidDataException($"{source}: tensor '{name}' is in both {Path.GetFileName(owner[name].File.Path)} ('{owner[name].Stored}') and {Path.GetFileName(f.Path)} ('{stored}')");
            }
        module.LoadFrom(owner.ToDictionary(kv => kv.Key, kv => kv.Value.File.ShapeOf(kv.Value.Stored)), (name, p) =>
        {
            owner[name].File.ReadInto(owner[name].Stored, p.Data);
            FiniteWeights.Check(p.Data, source, owner[name].Stored);
        }, strict, source,
            check: name => owner[name].File.DTypeOf(owner[name].Stored).IsReadable() ? null
                : $"tensor '{owner[name].Stored}' has dtype {owner[name].File.DTypeOf(owner[name].Stored).HeaderName()}, expected one of {SafeTensorsDTypes.Readable}");
    }
}
