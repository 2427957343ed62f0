using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Models.Llama;

/// <summary>
/// LLaMA self-attention (HF names q_proj, k_proj, v_proj, o_proj; no biases): RoPE (rotate-half) at explicit
/// position ids, grouped-query attention, causal + padding mask, optional KV cache.
/// </summary>
public sealed class LlamaAttention : Module
{
    readonly LlamaConfig _cfg;

    /// <summary>d → H·D.</summary>
    public Linear QProj { get; }
    /// <summary>d → Hkv·D.</summary>
    public Linear KProj { get; }
    /// <summary>d → Hkv·D.</summary>
    public Linear VProj { get; }
    /// <summary>H·D → d.</summary>
    public Linear OProj { get; }

    /// <summary>Creates the layer.</summary>
    public LlamaAttention(LlamaConfig cfg, Generator gen)
    {
        _cfg = cfg;
        int d = cfg.HiddenSize, kv = cfg.NumKvHeads * cfg.HeadDim;
        QProj = Child("q_proj", new Linear(d, d, false, gen));
        KProj = Child("k_proj", new Linear(d, kv, false, gen));
        VProj = Child("v_proj", new Linear(d, kv, false, gen));
        OProj = Child("o_proj", new Linear(d, d, false, gen));
    }

    /// <summary>
    /// x (B, T, d) at <paramref name="positions"/> (B·T) with key validity <paramref name="valid"/> (B·T) →
    /// (B, T, d), and the attention probabilities (B, H, T, S) when asked. <paramref name="mask"/>, when given, replaces
    /// the causal + padding mask built here (a caller without KV cache builds it once for all layers).
    /// </summary>
    public (Tensor Output, Tensor? Probs) Forward(Tensor x, int[] positions, bool[] valid, KvCache? cache, int layer, bool returnProbs, AttentionMask? mask = null)
    {
        int b = x.Shape[0], t = x.Shape[1], hd = _cfg.HeadDim;
        var q = QProj.Forward(x).Reshape(b, t, _cfg.NumHeads, hd).Transpose(1, 2);   // (B, H, T, D)
        var k = KProj.Forward(x).Reshape(b, t, _cfg.NumKvHeads, hd).Transpose(1, 2); // (B, Hkv, T, D)
        var v = VProj.Forward(x).Reshape(b, t, _cfg.NumKvHeads, hd).Transpose(1, 2); // (B, Hkv, T, D)
        q = F.Rope(q, positions, _cfg.RopeTheta, RopeStyle.Half);
        k = F.Rope(k, positions, _cfg.RopeTheta, RopeStyle.Half);
        var keyValid = valid;
        if (cache != null) (k, v, keyValid) = cache.Append(layer, k, v, valid);
        mask ??= CausalMask(keyValid, b);
        var (o, probs) = F.ScaledDotProductAttention(q, k, v, mask, returnProbs: returnProbs);
        return (OProj.Forward(o.Transpose(1, 2).Reshape(b, t, _cfg.HiddenSize)), probs);
    }

    /// <summary>Causal attention over keys whose validity is <paramref name="keyValid"/> (B·S).</summary>
    public static AttentionMask CausalMask(bool[] keyValid, int batch) =>
        keyValid.All(ok => ok) ? AttentionMask.Causal : AttentionMask.Causal.And(AttentionMask.KeyPadding(keyValid, batch));
}
