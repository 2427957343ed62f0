namespace DiffPrune.Tensors.Nn;

/// <summary>fc2(act(fc1(x))): the Transformer feed-forward block (CLIP names: <c>fc1</c>, <c>fc2</c>).</summary>
public sealed class Mlp : Module
{
    /// <summary>dim → hidden.</summary>
    public Linear Fc1 { get; }
    /// <summary>hidden → dim.</summary>
    public Linear Fc2 { get; }
    /// <summary>The activation between them.</summary>
    public Activation Act { get; }

    /// <summary>Creates the block.</summary>
    public Mlp(int dim, int hidden, Activation act, Generator gen, int? outDim = null)
    {
        Fc1 = Child("fc1", new Linear(dim, hidden, true, gen));
        Fc2 = Child("fc2", new Linear(hidden, outDim ?? dim, true, gen));
        Act = act;
    }

    /// <summary>(..., dim) → (..., dim).</summary>
    public Tensor Forward(Tensor x) => Fc2.Forward(Act.Apply(Fc1.Forward(x)));
}
