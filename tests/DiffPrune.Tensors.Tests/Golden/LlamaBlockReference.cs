using DiffPrune.Tensors.Nn;

namespace DiffPrune.Tensors.Tests.Golden;

// B = batch, T = tokens, C = hidden, H = query heads, Hkv = key/value heads, D = head dim, I = MLP intermediate.

/// <summary>Sizes of a LLaMA decoder layer (HF LlamaConfig names in the comments).</summary>
public sealed record LlamaBlockConfig(
    int Hidden = 32,          // hidden_size
    int Heads = 4,            // num_attention_heads
    int KvHeads = 2,          // num_key_value_heads: 2 query heads share each key/value head
    int Intermediate = 48,    // intermediate_size
    float Eps = 1e-5f,        // rms_norm_eps
    float Theta = 10000f)     // rope_theta
{
    /// <summary>head_dim = hidden_size / num_attention_heads.</summary>
    public int HeadDim => Hidden / Heads;
}

/// <summary>
/// Hugging Face's LlamaDecoderLayer composed from engine ops, with HF's parameter names (without the
/// "model.layers.N." prefix), until the engine has its own LLaMA layer:
/// h = x + o_proj(attn(rope(q_proj(n)), rope(k_proj(n)), v_proj(n))) with n = input_layernorm(x), causal;
/// y = h + down_proj(silu(gate_proj(m)) ⊙ up_proj(m)) with m = post_attention_layernorm(h).
/// </summary>
public sealed class LlamaBlockReference : Module
{
    /// <summary>Sizes.</summary>
    public LlamaBlockConfig Config { get; }
    /// <summary>RMSNorm before attention.</summary>
    public RmsNorm InputLayerNorm { get; }
    /// <summary>Grouped-query self-attention.</summary>
    public Attention SelfAttn { get; }
    /// <summary>RMSNorm before the MLP.</summary>
    public RmsNorm PostAttentionLayerNorm { get; }
    /// <summary>SwiGLU feed-forward.</summary>
    public SwiGlu Mlp { get; }
    /// <summary>How RoPE pairs channels; HF is <see cref="RopeStyle.Half"/> (a sensitivity check flips it).</summary>
    public RopeStyle RopeStyle { get; set; } = RopeStyle.Half;

    /// <summary>Creates the layer with random weights (load real ones with LoadStateDict).</summary>
    public LlamaBlockReference(LlamaBlockConfig config, Generator gen)
    {
        Config = config;
        InputLayerNorm = Child("input_layernorm", new RmsNorm(config.Hidden, config.Eps));
        SelfAttn = Child("self_attn", new Attention(config, gen));
        PostAttentionLayerNorm = Child("post_attention_layernorm", new RmsNorm(config.Hidden, config.Eps));
        Mlp = Child("mlp", new SwiGlu(config, gen));
    }

    /// <summary>x (B, T, C) → (B, T, C); <paramref name="positionIds"/> has T ids (shared) or B·T (per sample).</summary>
    public Tensor Forward(Tensor x, int[] positionIds)
    {
        int b = x.Shape[0], t = x.Shape[1];
        int h = Config.Heads, hkv = Config.KvHeads, d = Config.HeadDim;
        var n = InputLayerNorm.Forward(x);                                                      // (B, T, C)
        var q = SelfAttn.QProj.Forward(n).Reshape(b, t, h, d).Transpose(1, 2);                  // (B, H, T, D)
        var k = SelfAttn.KProj.Forward(n).Reshape(b, t, hkv, d).Transpose(1, 2);                // (B, Hkv, T, D)
        var v = SelfAttn.VProj.Forward(n).Reshape(b, t, hkv, d).Transpose(1, 2);                // (B, Hkv, T, D)
        q = F.Rope(q, positionIds, Config.Theta, RopeStyle);
        k = F.Rope(k, positionIds, Config.Theta, RopeStyle);
        var (o, _) = F.ScaledDotProductAttention(q, k, v, AttentionMask.Causal);                 // (B, H, T, D)
        var hid = x.Add(SelfAttn.OProj.Forward(o.Transpose(1, 2).Reshape(b, t, h * d)));        // (B, T, C)
        var m = PostAttentionLayerNorm.Forward(hid);                                            // (B, T, C)
        var gated = Mlp.GateProj.Forward(m).Silu().Mul(Mlp.UpProj.Forward(m));                  // (B, T, I)
        return hid.Add(Mlp.DownProj.Forward(gated));                                            // (B, T, C)
    }

    /// <summary>q/k/v/o projections without bias (HF LlamaAttention).</summary>
    public sealed class Attention : Module
    {
        /// <summary>(H·D, C).</summary>
        public Linear QProj { get; }
        /// <summary>(Hkv·D, C).</summary>
        public Linear KProj { get; }
        /// <summary>(Hkv·D, C).</summary>
        public Linear VProj { get; }
        /// <summary>(C, H·D).</summary>
        public Linear OProj { get; }

        /// <summary>Creates the projections.</summary>
        public Attention(LlamaBlockConfig c, Generator gen)
        {
            QProj = Child("q_proj", new Linear(c.Hidden, c.Heads * c.HeadDim, false, gen));
            KProj = Child("k_proj", new Linear(c.Hidden, c.KvHeads * c.HeadDim, false, gen));
            VProj = Child("v_proj", new Linear(c.Hidden, c.KvHeads * c.HeadDim, false, gen));
            OProj = Child("o_proj", new Linear(c.Heads * c.HeadDim, c.Hidden, false, gen));
        }
    }

    /// <summary>gate/up/down projections without bias (HF LlamaMLP).</summary>
    public sealed class SwiGlu : Module
    {
        /// <summary>(I, C).</summary>
        public Linear GateProj { get; }
        /// <summary>(I, C).</summary>
        public Linear UpProj { get; }
        /// <summary>(C, I).</summary>
        public Linear DownProj { get; }

        /// <summary>Creates the projections.</summary>
        public SwiGlu(LlamaBlockConfig c, Generator gen)
        {
            GateProj = Child("gate_proj", new Linear(c.Hidden, c.Intermediate, false, gen));
            UpProj = Child("up_proj", new Linear(c.Hidden, c.Intermediate, false, gen));
            DownProj = Child("down_proj", new Linear(c.Intermediate, c.Hidden, false, gen));
        }
    }
}
