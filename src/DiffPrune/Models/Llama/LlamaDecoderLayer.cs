using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Models.Llama;

/// <summary>
/// One LLaMA decoder layer (HF <c>LlamaDecoderLayer</c>):
/// h = x + self_attn(input_layernorm(x)); out = h + mlp(post_attention_layernorm(h)).
/// </summary>
public sealed class LlamaDecoderLayer : Module
{
    /// <summary>Self-attention.</summary>
    public LlamaAttention SelfAttn { get; }
    /// <summary>SwiGLU MLP.</summary>
    public LlamaMlp Mlp { get; }
    /// <summary>Norm before attention.</summary>
    public RmsNorm InputLayerNorm { get; }
    /// <summary>Norm before the MLP.</summary>
    public RmsNorm PostAttentionLayerNorm { get; }

    /// <summary>Creates the layer.</summary>
    public LlamaDecoderLayer(LlamaConfig cfg, Generator gen)
    {
        SelfAttn = Child("self_attn", new LlamaAttention(cfg, gen));
        Mlp = Child("mlp", new LlamaMlp(cfg, gen));
        InputLayerNorm = Child("input_layernorm", new RmsNorm(cfg.HiddenSize, cfg.RmsNormEps));
        PostAttentionLayerNorm = Child("post_attention_layernorm", new RmsNorm(cfg.HiddenSize, cfg.RmsNormEps));
    }

    /// <summary>x (B, T, d) → (B, T, d) and, when asked, this layer's attention probabilities; <paramref name="mask"/> as in <see cref="LlamaAttention.Forward"/>.</summary>
    public (Tensor Output, Tensor? Probs) Forward(Tensor x, int[] positions, bool[] valid, KvCache? cache, int layer, bool returnProbs = false, AttentionMask? mask = null)
    {
        var (a, probs) = SelfAttn.Forward(InputLayerNorm.Forward(x), positions, valid, cache, layer, returnProbs, mask);
        var h = x.Add(a);
        return (h.Add(Mlp.Forward(PostAttentionLayerNorm.Forward(h))), probs);
    }
}
