namespace DiffPrune.Tensors.Nn;

/// <summary>Activation functions by name (as in HF configs: "gelu", "gelu_pytorch_tanh", "quick_gelu", "relu", "silu").</summary>
public enum Activation
{
    /// <summary>Exact GELU, x·Φ(x).</summary>
    Gelu,
    /// <summary>GELU, tanh approximation.</summary>
    GeluTanh,
    /// <summary>x·σ(1.702x) (OpenAI CLIP).</summary>
    QuickGelu,
    /// <summary>max(x, 0).</summary>
    Relu,
    /// <summary>x·σ(x).</summary>
    Silu,
}

/// <summary>Applying and parsing <see cref="Activation"/>.</summary>
public static class Activations
{
    /// <summary>Applies <paramref name="act"/> to <paramref name="x"/>.</summary>
    public static Tensor Apply(this Activation act, Tensor x) => act switch
    {
        Activation.Gelu => x.Gelu(),
        Activation.GeluTanh => x.Gelu(approximateTanh: true),
        Activation.QuickGelu => x.QuickGelu(),
        Activation.Relu => x.Relu(),
        Activation.Silu => x.Silu(),
        _ => throw new ArgumentOutOfRangeException(nameof(act)),
    };

    /// <summary>Parses an HF config name ("gelu", "gelu_new", "gelu_pytorch_tanh", "quick_gelu", "relu", "silu").</summary>
    /// <exception cref="ArgumentException">An unknown name.</exception>
    public static Activation Parse(string name) => name switch
    {
        "gelu" => Activation.Gelu,
        "gelu_new" or "gelu_pytorch_tanh" or "gelu_tanh" => Activation.GeluTanh,
        "quick_gelu" => Activation.QuickGelu,
        "relu" => Activation.Relu,
        "silu" or "swish" => Activation.Silu,
        _ => throw new ArgumentException($"unknown activation '{name}' (known: gelu, gelu_pytorch_tanh, quick_gelu, relu, silu)"),
    };

    /// <summary>The HF config name of <paramref name="act"/>.</summary>
    public static string ToConfigName(this Activation act) => act switch
    {
        Activation.Gelu => "gelu",
        Activation.GeluTanh => "gelu_pytorch_tanh",
        Activation.QuickGelu => "quick_gelu",
        Activation.Relu => "relu",
        Activation.Silu => "silu",
        _ => throw new ArgumentOutOfRangeException(nameof(act)),
    };
}
