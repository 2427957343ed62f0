namespace DiffPrune.Tensors.Nn;

/// <summary>A lookup table of (vocab, dim) vectors (<c>nn.Embedding</c>), initialised N(0, std²).</summary>
public sealed class Embedding : Module
{
    /// <summary>(vocab, dim).</summary>
    public Tensor Weight { get; }

    /// <summary>Creates the table; <paramref name="std"/> defaults to PyTorch's 1.</summary>
    public Embedding(int vocab, int dim, Generator gen, float std = 1f) => Weight = Parameter("weight", Tensor.Randn(gen, [vocab, dim], 0f, std));

    /// <summary>ids (...) → (..., dim).</summary>
    public Tensor Forward(IntTensor ids) => F.Embedding(ids, Weight);
}
