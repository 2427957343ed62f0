namespace DiffPrune.Tensors.Nn;

/// <summary>Layer norm over the last dim with affine weight and bias (<c>nn.LayerNorm</c>).</summary>
public sealed class LayerNorm : Module
{
    /// <summary>Scale (dim), initialised to ones.</summary>
    public Tensor Weight { get; }
    /// <summary>Shift (dim), initialised to zeros.</summary>
    public Tensor Bias { get; }
    /// <summary>Added to the variance.</summary>
    public float Eps { get; }

    /// <summary>Creates the layer.</summary>
    public LayerNorm(int dim, float eps = 1e-5f)
    {
        Weight = Parameter("weight", Tensor.Ones(dim));
        Bias = Parameter("bias", Tensor.Zeros(dim));
        Eps = eps;
    }

    /// <summary>Normalises the last dim.</summary>
    public Tensor Forward(Tensor x) => F.LayerNorm(x, Weight, Bias, Eps);
}

/// <summary>RMS norm over the last dim with a weight (LLaMA's <c>RMSNorm</c>).</summary>
public sealed class RmsNorm : Module
{
    /// <summary>Scale (dim), initialised to ones.</summary>
    public Tensor Weight { get; }
    /// <summary>Added to the mean square.</summary>
    public float Eps { get; }

    /// <summary>Creates the layer.</summary>
    public RmsNorm(int dim, float eps = 1e-5f)
    {
        Weight = Parameter("weight", Tensor.Ones(dim));
        Eps = eps;
    }

    /// <summary>Normalises the last dim.</summary>
    public Tensor Forward(Tensor x) => F.RmsNorm(x, Weight, Eps);
}
