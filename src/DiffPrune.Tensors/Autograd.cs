namespace DiffPrune.Tensors;

/// <summary>One recorded op: its inputs and the closure that pushes the output's gradient into them.</summary>
internal sealed class GradNode(string op, Tensor[] inputs, Action<Tensor> backward)
{
    public readonly string Op = op;
    public readonly Tensor[] Inputs = inputs;
    /// <summary>Receives dL/d(output) and accumulates dL/d(input) into each input that requires grad.</summary>
    public readonly Action<Tensor> Backward = backward;
}

/// <summary>
/// Reverse-mode automatic differentiation: graph recording, <c>NoGrad</c> scopes and user-defined functions
/// with hand-written backward passes.
/// </summary>
public static class Autograd
{
    [ThreadStatic] static int _noGradDepth;

    /// <summary>False inside a <see cref="NoGrad"/> scope: ops then record nothing.</summary>
    public static bool IsEnabled => _noGradDepth == 0;

    /// <summary>Disables graph recording until the returned scope is disposed (like <c>torch.no_grad()</c>).</summary>
    public static IDisposable NoGrad() => new NoGradScope();

    sealed class NoGradScope : IDisposable
    {
        bool _disposed;
        public NoGradScope() => _noGradDepth++;
        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _noGradDepth--;
        }
    }

    /// <summary>
    /// Attaches <paramref name="backward"/> to <paramref name="output"/> when grad mode is on and any input
    /// requires grad. All built-in ops go through here. Returns <paramref name="output"/>.
    /// </summary>
    internal static Tensor Record(Tensor output, string op, Tensor[] inputs, Action<Tensor> backward)
    {
        if (_noGradDepth > 0) return output;
        if (OpProfile.Enabled) OpProfile.Forward(op);
        foreach (var t in inputs)
        {
            if (!t.RequiresGrad) continue;
            output.RequiresGrad = true;
            output.GradFn = new GradNode(op, inputs, backward);
            return output;
        }
        return output;
    }

    /// <summary>
    /// Defines a differentiable function with a hand-written backward (like <c>torch.autograd.Function</c>).
    /// The caller computes <paramref name="output"/> from <paramref name="inputs"/> (the values only; no graph
    /// is needed). <paramref name="backward"/> receives dL/d(output) and returns dL/d(input) for each input,
    /// in order, each of the input's shape, or null for an input that gets no gradient.
    /// </summary>
    /// <exception cref="InvalidOperationException">At backward time, when a returned gradient has the wrong shape.</exception>
    public static Tensor Function(string name, Tensor output, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        var result = output.IsLeaf && !output.RequiresGrad ? output : output.Detach();
        return Record(result, name, inputs, gy =>
        {
            var grads = backward(gy);
            if (grads.Length != inputs.Length)
                throw new InvalidOperationException($"{name}: backward returned {grads.Length} gradients for {inputs.Length} inputs");
            for (int i = 0; i < inputs.Length; i++)
            {
                var g = grads[i];
                if (g == null || !inputs[i].RequiresGrad) continue;
                if (!ShapeUtil.Same(g.Shape, inputs[i].Shape))
                    throw new InvalidOperationException($"{name}: gradient {ShapeUtil.Format(g.Shape)} for input {i} of shape {ShapeUtil.Format(inputs[i].Shape)}");
                Accumulate(inputs[i], g.Data);
            }
        });
    }

    /// <summary>Adds <paramref name="g"/> into <paramref name="t"/>'s gradient.</summary>
    internal static void Accumulate(Tensor t, ReadOnlySpan<float> g)
    {
        Broadcasting.Accumulate(g, t.GradSpan());
    }

    /// <summary>
    /// Runs reverse-mode differentiation from <paramref name="root"/>. Leaves accumulate <c>Grad</c>;
    /// intermediate gradients and the graph are released afterwards (as PyTorch does without retain_graph).
    /// </summary>
    internal static void Backward(Tensor root, Tensor? gradient)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException($"Backward: {root.Describe()} does not require grad (no parameter or input on its path requires grad)");
        if (gradient == null && root.Numel != 1)
            throw new InvalidOperationException($"Backward: {root.Describe()} is not a scalar; pass the gradient of the output");
        if (root.GraphReleased) throw Released(root);
        var order = TopologicalOrder(root);
        var seed = gradient?.ToArray() ?? [1f];
        if (seed.Length != root.Numel) throw new ArgumentException($"Backward: gradient has {seed.Length} elements for {root.Describe()}");
        Accumulate(root, seed);
        using (NoGrad())
        {
            for (int i = order.Count - 1; i >= 0; i--)
            {
                var t = order[i];
                var node = t.GradFn!;
                if (t.Grad != null)
                {
                    long start = OpProfile.Enabled ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
                    node.Backward(t.Grad);
                    if (start != 0) OpProfile.Add(node.Op + " bwd", System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
                }
                // Release the graph and the intermediate gradient as soon as they are consumed.
                t.GradFn = null;
                t.GraphReleased = true;
                if (t.Grad != null && !t.RetainsGrad)
                {
                    StoragePool.Return(t.Grad.Storage);
                    t.Grad = null;
                }
            }
        }
    }

    /// <summary>Non-leaf tensors reachable from root, inputs before outputs (iterative DFS: graphs can be deep).</summary>
    static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        if (root.GradFn == null) return order;
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor T, int Next)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.GradFn!.Inputs;
            if (next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var child = inputs[next];
                if (child.GraphReleased) throw Released(child);
                if (child.GradFn != null && child.RequiresGrad && visited.Add(child)) stack.Push((child, 0));
            }
            else order.Add(t);
        }
        return order;
    }

    static InvalidOperationException Released(Tensor t) => new(
        $"Backward: {t.Describe()} was produced by a graph that an earlier Backward() already released; " +
        "recompute it, or Detach() it to reuse its value as a constant");
}

public sealed partial class Tensor
{
    internal bool RetainsGrad;

    /// <summary>Set when a backward pass consumed this tensor's record: gradients can no longer flow through it.</summary>
    internal bool GraphReleased;

    /// <summary>Computes gradients of this scalar (or of <c>Σ output·gradient</c>) with respect to every leaf that requires grad.</summary>
    public void Backward(Tensor? gradient = null) => Autograd.Backward(this, gradient);

    /// <summary>Keeps this non-leaf tensor's gradient after <see cref="Backward"/> (like <c>retain_grad()</c>).</summary>
    public Tensor RetainGrad()
    {
        RetainsGrad = true;
        return this;
    }
}
