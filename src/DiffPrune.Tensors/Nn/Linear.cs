namespace DiffPrune.Tensors.Nn;

/// <summary>y = x·Wᵀ + b with weight (out, in), as <c>nn.Linear</c>. Init: U(±1/√in), PyTorch's default.</summary>
public sealed class Linear : Module
{
    /// <summary>(out, in).</summary>
    public Tensor Weight { get; }
    /// <summary>(out) or null.</summary>
    public Tensor? Bias { get; }

    /// <summary>Creates the layer with weights drawn from <paramref name="gen"/>.</summary>
    public Linear(int inFeatures, int outFeatures, bool bias, Generator gen)
    {
        float bound = 1f / MathF.Sqrt(Math.Max(inFeatures, 1));
        Weight = Parameter("weight", Tensor.Rand(gen, [outFeatures, inFeatures], -bound, bound));
        if (bias) Bias = Parameter("bias", Tensor.Rand(gen, [outFeatures], -bound, bound));
    }

    /// <summary>Input features.</summary>
    public int InFeatures => Weight.Shape[1];
    /// <summary>Output features.</summary>
    public int OutFeatures => Weight.Shape[0];

    /// <summary>x (..., in) → (..., out).</summary>
    public Tensor Forward(Tensor x) => F.Linear(x, Weight, Bias);
}
