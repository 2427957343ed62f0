namespace DiffPrune.Tensors.Nn;

/// <summary>
/// Base of every layer: named parameters and child modules, addressed by Hugging Face-style dotted names
/// (<c>encoder.layers.0.self_attn.q_proj.weight</c>), so loading a checkpoint is a loop of shape checks.
/// </summary>
public abstract class Module
{
    readonly List<(string Name, Tensor Value)> _parameters = [];
    readonly List<(string Name, Module Value)> _children = [];

    /// <summary>Registers a parameter under <paramref name="name"/> and marks it as requiring grad.</summary>
    protected Tensor Parameter(string name, Tensor value)
    {
        CheckName(name);
        value.RequiresGrad = true;
        value.Name = name;
        _parameters.Add((name, value));
        return value;
    }

    /// <summary>Registers a child module under <paramref name="name"/>.</summary>
    protected T Child<T>(string name, T module) where T : Module
    {
        CheckName(name);
        _children.Add((name, module));
        return module;
    }

    void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.')) throw new ArgumentException($"'{name}' is not a valid parameter or module name");
        if (_parameters.Any(p => p.Name == name) || _children.Any(c => c.Name == name))
            throw new ArgumentException($"'{name}' is registered twice in {GetType().Name}");
    }

    /// <summary>All parameters with their dotted names, depth-first in registration order.</summary>
    public IEnumerable<(string Name, Tensor Value)> NamedParameters(string prefix = "")
    {
        foreach (var (n, p) in _parameters) yield return (prefix + n, p);
        foreach (var (n, c) in _children)
            foreach (var item in c.NamedParameters(prefix + n + "."))
                yield return item;
    }

    /// <summary>All parameters.</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Value);

    /// <summary>Parameters that currently require grad (what an optimizer should update).</summary>
    public IEnumerable<Tensor> TrainableParameters() => Parameters().Where(p => p.RequiresGrad);

    /// <summary>Total number of parameter elements.</summary>
    public long ParameterCount => Parameters().Sum(p => (long)p.Numel);

    /// <summary>Freezes (false) or unfreezes (true) every parameter. Frozen parameters still pass gradients to their inputs.</summary>
    public void RequiresGrad(bool on)
    {
        foreach (var p in Parameters()) p.RequiresGrad = on;
    }

    /// <summary>Clears every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.Grad = null;
    }

    /// <summary>Name → parameter (the tensors themselves, not copies).</summary>
    public Dictionary<string, Tensor> StateDict() => NamedParameters().ToDictionary(p => p.Name, p => p.Value);

    /// <summary>
    /// Copies values from <paramref name="state"/> into the parameters. Every parameter must be present with its
    /// exact shape; with <paramref name="strict"/>, unknown names are errors too. Errors name the tensors and the
    /// <paramref name="source"/> (e.g. the file).
    /// </summary>
    /// <exception cref="InvalidDataException">Missing, unexpected or mis-shaped tensors.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true, string source = "state dict") =>
        LoadFrom(state.ToDictionary(kv => kv.Key, kv => kv.Value.Shape), (name, p) => p.CopyFrom(state[name]), strict, source);

    /// <summary>
    /// Loads parameters from any store: <paramref name="shapes"/> lists what the store holds, and
    /// <paramref name="fill"/> writes one named tensor into a parameter (e.g. straight from a memory-mapped file).
    /// All names and shapes are checked before anything is written, with the same errors as <see cref="LoadStateDict"/>;
    /// <paramref name="check"/> may report one more problem per present tensor (e.g. an unreadable dtype).
    /// </summary>
    /// <exception cref="InvalidDataException">Missing, unexpected or mis-shaped tensors, or a problem from <paramref name="check"/>.</exception>
    public void LoadFrom(IReadOnlyDictionary<string, int[]> shapes, Action<string, Tensor> fill, bool strict = true, string source = "state dict",
        Func<string, string?>? check = null)
    {
        var own = StateDict();
        var problems = new List<string>();
        foreach (var (name, p) in own)
        {
            if (!shapes.TryGetValue(name, out var shape)) problems.Add($"missing tensor '{name}' {ShapeUtil.Format(p.Shape)}");
            else if (!ShapeUtil.Same(shape, p.Shape)) problems.Add($"tensor '{name}' has shape {ShapeUtil.Format(shape)}, expected {ShapeUtil.Format(p.Shape)}");
            else if (check?.Invoke(name) is string problem) problems.Add(problem);
        }
        if (strict)
            foreach (var name in shapes.Keys.Where(k => !own.ContainsKey(k)).OrderBy(k => k, StringComparer.Ordinal))
                problems.Add($"unexpected tensor '{name}'");
        if (problems.Count > 0)
            throw new InvalidDataException($"{source}: cannot load into {GetType().Name}: " + string.Join("; ", problems.Take(12)) + (problems.Count > 12 ? $"; and {problems.Count - 12} more" : ""));
        foreach (var (name, p) in own) fill(name, p);
    }
}

/// <summary>A list of modules named 0, 1, 2, … (like <c>nn.ModuleList</c>).</summary>
public sealed class ModuleList<T> : Module where T : Module
{
    readonly List<T> _items = [];

    /// <summary>Builds the list from <paramref name="items"/>.</summary>
    public ModuleList(IEnumerable<T> items)
    {
        foreach (var m in items) { Child(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), m); _items.Add(m); }
    }

    /// <summary>Number of modules.</summary>
    public int Count => _items.Count;

    /// <summary>The i-th module.</summary>
    public T this[int i] => _items[i];

    /// <summary>The modules in order.</summary>
    public IReadOnlyList<T> Items => _items;
}
