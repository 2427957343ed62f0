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
    /// read; the message names the file and each tensor at fault.
    /// </exception>
    public static void LoadSafeTensors(this Module module, string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var file = SafeTensorsFile.Open(path);
        var own = module.NamedParameters().ToList();
        var problems = new List<string>();
        foreach (var (name, p) in own)
        {
            if (!file.Contains(name))
                problems.Add($"missing tensor '{name}' {ShapeUtil.Format(p.Shape)}");
            else if (!ShapeUtil.Same(file.ShapeOf(name), p.Shape))
                problems.Add($"tensor '{name}' has shape {ShapeUtil.Format(file.ShapeOf(name))}, expected {ShapeUtil.Format(p.Shape)}");
            else if (!file.DTypeOf(name).IsReadable())
                problems.Add($"tensor '{name}' has dtype {file.DTypeOf(name).HeaderName()}, expected one of {SafeTensorsDTypes.Readable}");
        }
        if (strict)
        {
            var ownNames = own.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var name in file.Names.Where(n => !ownNames.Contains(n)))
                problems.Add($"unexpected tensor '{name}'");
        }
        if (problems.Count > 0)
            throw new InvalidDataException($"{path}: cannot load into {module.GetType().Name}: " + string.Join("; ", problems.Take(12))
                + (problems.Count > 12 ? $"; and {problems.Count - 12} more" : ""));
        foreach (var (name, p) in own) file.ReadInto(name, p.Data);
    }
}
